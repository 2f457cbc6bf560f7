import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));
export const consoleDist = join(consoleDir, 'dist');
const stampFile = join(consoleDist, '.build-stamp');

export interface ConsoleBuild {
  dir: string;
  /** Whether this call built it (false: the output was current). */
  built: boolean;
  /** index.html plus the script and style it loads, gzipped (what a first visit downloads). */
  firstLoadGzipBytes: number;
}

/** Content hash of everything the build reads: the sources, this script and the locked dependencies. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(consoleDir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && !relative(consoleDir, join(e.parentPath, e.name)).startsWith('dist'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  for (const file of [...files, fileURLToPath(import.meta.url), join(repo, 'package-lock.json')]) {
    hash
      .update(relative(repo, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

const gzipSize = async (file: string) => gzipSync(await readFile(file), { level: 9 }).length;

/**
 * Builds the agent console into `console/dist` with esbuild (already the project's Lambda bundler):
 * one minified ES module and one stylesheet, named by content hash so a CDN may cache them for good,
 * and an index.html that loads them. Skipped when the sources have not changed since the last build,
 * so `npm start` and the tests build it on a fresh clone and reuse it after.
 */
export async function buildConsole(options: { force?: boolean } = {}): Promise<ConsoleBuild> {
  const hash = await sourceHash();
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  const [stampHash, stampSize] = stamp.split(' ');
  if (!options.force && stampHash === hash && stampSize) {
    return { dir: consoleDist, built: false, firstLoadGzipBytes: Number(stampSize) };
  }
  await rm(consoleDist, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: join(consoleDir, 'src/main.tsx'), style: join(consoleDir, 'src/app.css') },
    outdir: join(consoleDist, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome120', 'firefox121', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(consoleDir, 'tsconfig.json'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((o) => relative(join(consoleDist), o));
  const script = outputs.find((o) => o.endsWith('.js')) as string;
  const style = outputs.find((o) => o.endsWith('.css')) as string;
  const html = (await readFile(join(consoleDir, 'index.html'), 'utf8'))
    .replace('/assets/app.css', `/${style}`)
    .replace('/assets/app.js', `/${script}`);
  await mkdir(consoleDist, { recursive: true });
  await writeFile(join(consoleDist, 'index.html'), html);
  const size =
    (await gzipSize(join(consoleDist, 'index.html'))) +
    (await gzipSize(join(consoleDist, script))) +
    (await gzipSize(join(consoleDist, style)));
  await writeFile(stampFile, `${hash} ${size}`);
  return { dir: consoleDist, built: true, firstLoadGzipBytes: size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const out = await buildConsole({ force: process.argv.includes('--force') });
  // `--out <dir>`: a copy of the build for the CDK asset (infra/constructs/AgentConsole.ts).
  const copyTo = process.argv[process.argv.indexOf('--out') + 1];
  if (process.argv.includes('--out') && copyTo) {
    await cp(out.dir, copyTo, { recursive: true, filter: (src) => !src.endsWith('.build-stamp') });
  }
  console.log(
    `console ${out.built ? 'built' : 'up to date'} in ${Math.round(performance.now() - started)} ms: ${out.dir}, first load ${(out.firstLoadGzipBytes / 1024).toFixed(1)} KB gzipped`,
  );
}
