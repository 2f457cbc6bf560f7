import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { type WorkflowStep, workflowSteps } from '../workflows/ComplaintWorkflow';
import { repoRoot } from './appContext';

/**
 * How every handler is bundled (local esbuild, no Docker): NodejsFunction deploys with these options,
 * and the local stack and the tests build the same bundles with {@link esbuildOptionsOf} them.
 */
export const lambdaBundling = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  // Prefer the ESM build of dependencies that ship both.
  mainFields: ['module', 'main'],
  // Bundle the SDK too: the versions tested here (client and lib-dynamodb in lockstep) are the ones
  // that run, instead of whatever SDK the runtime ships that month.
  externalModules: [],
  minify: true,
  // Minifying renames classes; error classes that take their name from the class (`new.target.name`)
  // would then throw `nr` instead of `ConflictError`, and the state machine's Retry/Catch on error
  // names would never match on AWS. keepNames preserves `Function.prototype.name`.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  // CommonJS dependencies bundled into an ESM file still call `require` for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // Aliases resolve from the project root.
  esbuildArgs: {
    '--alias': [
      // The SDK's default credential chain gives way to the environment's credentials, where Lambda puts
      // them (functions/composition/lambdaCredentials.ts says why). Only the package itself may be
      // imported: an alias also rewrites its subpaths.
      '@aws-sdk/credential-provider-node=./functions/composition/lambdaCredentials.ts',
    ],
  },
} as const satisfies BundlingOptions;

/**
 * The esbuild JS API options equivalent to what NodejsFunction passes the esbuild CLI for `bundling`
 * (`--bundle --platform=node` plus one flag per option), run from the project root as CDK runs it.
 */
export function esbuildOptionsOf(bundling: typeof lambdaBundling): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: bundling.format,
    target: bundling.target,
    mainFields: [...bundling.mainFields],
    external: [...bundling.externalModules],
    minify: bundling.minify,
    keepNames: bundling.keepNames,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    banner: { js: bundling.banner },
    // `--alias:from=to` arguments, resolved from the project root.
    alias: Object.fromEntries(
      bundling.esbuildArgs['--alias'].map((arg) => [
        arg.slice(0, arg.indexOf('=')),
        arg.slice(arg.indexOf('=') + 1),
      ]),
    ),
    absWorkingDir: repoRoot,
  };
}

/** The module of every Lambda function, relative to the project root, by function. */
export const handlerEntries = {
  intake: 'functions/handlers/intake.ts',
  api: 'functions/handlers/api.ts',
  mailFeedback: 'functions/handlers/mailFeedback.ts',
  publishEvents: 'functions/handlers/publishEvents.ts',
  projectReports: 'functions/handlers/projectReports.ts',
  weeklyDigest: 'functions/handlers/weeklyDigest.ts',
  queueMetrics: 'functions/handlers/queueMetrics.ts',
  ...(Object.fromEntries(Object.entries(workflowSteps).map(([step, { entry }]) => [step, entry])) as Record<
    WorkflowStep,
    string
  >),
};

export type HandlerName = keyof typeof handlerEntries;
