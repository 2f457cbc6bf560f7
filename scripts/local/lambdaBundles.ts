import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import { repoRoot } from '../../infra/appContext';
import {
  buildLambdaFunction,
  bundlingPluginFiles,
  type HandlerName,
  handlerEntries,
  lambdaBuildOptions,
  lambdaEntryFile,
} from '../../infra/bundling';

/** Where built functions are kept between runs (per bundling configuration). */
const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'lambda-bundles');

export interface LambdaBundles {
  /** The entry file (`index.mjs`) of each function's folder, the chunks it imports beside it. */
  files: Record<HandlerName, string>;
  /** Whether this call built them (false: the cached build matched every input). */
  built: boolean;
  ms: number;
}

interface Manifest {
  build: string;
  /** Every input esbuild read (relative to the project root) and its SHA-256. */
  inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The SHA-256 of each file (undefined: gone), read a batch at a time (about 2,000 files). */
async function digestsOf(paths: string[]): Promise<(string | undefined)[]> {
  const digests: (string | undefined)[] = [];
  for (let i = 0; i < paths.length; i += 128) {
    const batch = paths.slice(i, i + 128);
    digests.push(
      ...(await Promise.all(
        batch.map((path) => readFile(join(repoRoot, path)).then(sha256, () => undefined)),
      )),
    );
  }
  return digests;
}

async function inputsUnchanged(inputs: Record<string, string>): Promise<boolean> {
  const paths = Object.keys(inputs);
  const digests = await digestsOf(paths);
  return paths.every((path, i) => digests[i] === inputs[path]);
}

/**
 * Builds every Lambda function's folder as CDK builds its asset ( one esbuild build
 * per function, `buildLambdaFunction`), or reuses the last build when no input changed: the cache is keyed by the options and
 * esbuild's version, and a build is reused only while every file it read has the same content hash.
 * Builds land in a folder of their own, marked complete once every function is in it, and the manifest
 * naming the current one is replaced atomically, so concurrent test files never read a half-written
 * function; a manifest naming a folder without the mark (a build cut short) is built again.
 */
export async function buildLambdaBundles(): Promise<LambdaBundles> {
  const started = performance.now();
  // Every option of every function's build (entries, splitting, the nominal output folder...).
  const builds = Object.entries(handlerEntries).map(([name, entry]) => [name, lambdaBuildOptions(entry)]);
  // The plugins' code is not in the options' JSON: the key carries each plugin module's hash instead.
  const plugins = await Promise.all(
    bundlingPluginFiles.map((file) => readFile(join(repoRoot, file)).then(sha256)),
  );
  const key = sha256(JSON.stringify({ builds, esbuildVersion, lambdaEntryFile, plugins })).slice(0, 16);
  const dir = join(cacheRoot, key);
  const manifestFile = join(dir, 'manifest.json');
  const filesOf = (buildDir: string) =>
    Object.fromEntries(
      Object.keys(handlerEntries).map((name) => [name, join(dir, buildDir, name, lambdaEntryFile)]),
    ) as Record<HandlerName, string>;

  const readManifest = () =>
    readFile(manifestFile, 'utf8')
      .then((text) => JSON.parse(text) as Manifest)
      .catch(() => undefined);
  const cached = await readManifest();
  if (cached && (await isComplete(join(dir, cached.build))) && (await inputsUnchanged(cached.inputs))) {
    return { files: filesOf(cached.build), built: false, ms: performance.now() - started };
  }

  const buildDir = randomUUID();
  await mkdir(join(dir, buildDir), { recursive: true });
  // esbuild runs the builds side by side in its own process.
  const results = await Promise.all(
    Object.entries(handlerEntries).map(([name, entry]) =>
      buildLambdaFunction(entry, join(dir, buildDir, name)),
    ),
  );
  const paths = [...new Set(results.flatMap((result) => Object.keys(result.metafile.inputs)))];
  const digests = await digestsOf(paths);
  const inputs = Object.fromEntries(paths.map((path, i) => [path, digests[i] as string]));
  await writeFile(join(dir, buildDir, completeMarker), '');
  // Another process may have finished a build meanwhile (two test files that found the sources
  // changed): the build the manifest names now is kept as well, since a stack may be running it.
  const replaced = await readManifest();
  const temp = `${manifestFile}.${buildDir}`;
  await writeFile(temp, JSON.stringify({ build: buildDir, inputs } satisfies Manifest));
  await rename(temp, manifestFile);
  // The builds it replaced are kept for a reader that is importing them right now; older ones go.
  await pruneBuilds(dir, [buildDir, cached?.build, replaced?.build]);
  return { files: filesOf(buildDir), built: true, ms: performance.now() - started };
}

/** Written into a build's folder once every function in it is: a folder without it is being written. */
const completeMarker = 'complete';
/** A folder without the marker that is older than this was left by a build that died. */
const abandonedBuildMs = 10 * 60_000;

const isComplete = (buildDir: string) =>
  access(join(buildDir, completeMarker)).then(
    () => true,
    () => false,
  );

/**
 * Removes the builds other than `keep`, but never one still being written (by another process: its
 * folder has no marker yet), unless that was long enough ago for its writer to have died.
 */
async function pruneBuilds(dir: string, keep: (string | undefined)[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || keep.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    const abandoned = Date.now() - (await stat(path)).mtimeMs > abandonedBuildMs;
    if (abandoned || (await isComplete(path))) await rm(path, { recursive: true, force: true });
  }
}
