import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BuildOptions, type BuildResult, build } from 'esbuild';
import { type WorkflowStep, workflowSteps } from '../workflows/ComplaintWorkflow';
import { repoRoot } from './appContext';
import { sdkBarrelImports } from './sdkBarrelImports';
import { sdkPackageVersion } from './sdkPackageVersion';

/**
 * How every handler is bundled: esbuild (no Docker), one build per function into a folder of its own
 * (`index.mjs`, the chunks it imports and their source maps). Code that only some invocations need is
 * imported with `import()`, and splitting puts it in chunks of its own, so a cold start loads and
 * compiles only the entry and the chunks it imports statically. CDK deploys the folder as the function's
 * asset ({@link HandlerFunction}), and the local stack and the tests run the same folders: both build
 * them with {@link buildLambdaFunction}, the one place that decides how a bundle is built.
 */
export const lambdaEsbuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Chunks for what `import()` loads: the entry holds only what every invocation needs.
  splitting: true,
  // Prefer the ESM build of dependencies that ship both.
  mainFields: ['module', 'main'],
  // Bundle the SDK too: the versions tested here (client and lib-dynamodb in lockstep) are the ones
  // that run, instead of whatever SDK the runtime ships that month.
  external: [],
  // Minifying renames classes, and with them `Function.prototype.name`. The state machine's Retry and
  // Catch match an error's `name`, so every error class carries its name as a string literal
  // (`functions/core/errors.ts`) instead of taking it from the class: esbuild's `keepNames`, which
  // would keep every function's name, is not needed and would cost 26-29 KB and its time per bundle.
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // CommonJS dependencies bundled into an ESM file still call `require` for Node built-ins (in every
  // chunk: each is a module of its own).
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  alias: {
    // The SDK's default credential chain gives way to the environment's credentials, where Lambda puts
    // them (functions/composition/lambdaCredentials.ts says why). Only the package itself may be
    // imported: an alias also rewrites its subpaths.
    '@aws-sdk/credential-provider-node': './functions/composition/lambdaCredentials.ts',
  },
  // Entry and aliases resolve from the project root.
  absWorkingDir: repoRoot,
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'warning',
  plugins: [sdkBarrelImports, sdkPackageVersion],
} as const satisfies BuildOptions;

/** The modules of the plugins in {@link lambdaEsbuildOptions} (relative to the project root). */
export const bundlingPluginFiles = ['infra/sdkBarrelImports.ts', 'infra/sdkPackageVersion.ts'];

/** The file of a function's folder that Lambda loads (`index.handler`). */
export const lambdaEntryFile = 'index.mjs';

/**
 * Where esbuild is told the files go. It writes nothing there (`write: false`): source maps name each
 * source relative to it and chunk names hash the chunks with them, so a function's files are the same
 * byte for byte wherever they are written (CDK's asset folder, the local stack's cache).
 */
const nominalOutdir = join(repoRoot, '.lambda');

/** The esbuild options that build the function whose handler module is `entry` (relative to the project root). */
export function lambdaBuildOptions(entry: string) {
  return {
    ...lambdaEsbuildOptions,
    entryPoints: { index: join(repoRoot, entry) },
    outdir: nominalOutdir,
    write: false,
  } satisfies BuildOptions;
}

type LambdaBuild = BuildResult<ReturnType<typeof lambdaBuildOptions>>;

/** Writes a function's files into `outdir`: `index.mjs`, the chunks and their source maps. */
function writeFunction({ outputFiles }: LambdaBuild, outdir: string): void {
  mkdirSync(outdir, { recursive: true });
  for (const file of outputFiles)
    writeFileSync(join(outdir, relative(nominalOutdir, file.path)), file.contents);
}

/** Builds the function whose handler module is `entry` into `outdir` (the local stack, the benchmarks). */
export async function buildLambdaFunction(entry: string, outdir: string): Promise<LambdaBuild> {
  const result = await build(lambdaBuildOptions(entry));
  writeFunction(result, outdir);
  return result;
}

/** Every function's built folder by entry, once per process (`buildLambdaFunctionSync`). */
let builtFolders: Record<string, string> | undefined;

/**
 * {@link buildLambdaFunction}'s output for CDK's local bundling, which is synchronous: esbuild runs
 * plugins ({@link sdkBarrelImports}) only in its asynchronous API. The first call runs
 * `infra/buildFunctions.ts` in a child process, which builds every function with
 * {@link buildLambdaFunction} into the local stack's cache (`scripts/local/lambdaBundles.ts`, reused
 * while no input changed) and names each folder; each call copies its function's folder. So the asset
 * is the folder the local stack runs and the tests ran, byte for byte.
 */
export function buildLambdaFunctionSync(entry: string, outdir: string): void {
  builtFolders ??= JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra', 'buildFunctions.ts')], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1024 * 1024,
    }),
  ) as Record<string, string>;
  const folder = builtFolders[entry];
  if (!folder) throw new Error(`${entry} is not the entry of a function (handlerEntries)`);
  cpSync(folder, outdir, { recursive: true });
}

/** The module of every Lambda function, relative to the project root, by function. */
export const handlerEntries = {
  intake: 'functions/handlers/intake.ts',
  api: 'functions/handlers/api.ts',
  apiDocs: 'functions/handlers/apiDocs.ts',
  mailFeedback: 'functions/handlers/mailFeedback.ts',
  publishEvents: 'functions/handlers/publishEvents.ts',
  projectReports: 'functions/handlers/projectReports.ts',
  mailOwedReplies: 'functions/handlers/mailOwedReplies.ts',
  weeklyDigest: 'functions/handlers/weeklyDigest.ts',
  queueMetrics: 'functions/handlers/queueMetrics.ts',
  ...(Object.fromEntries(Object.entries(workflowSteps).map(([step, { entry }]) => [step, entry])) as Record<
    WorkflowStep,
    string
  >),
};

export type HandlerName = keyof typeof handlerEntries;
