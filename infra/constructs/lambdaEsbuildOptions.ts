import type { BuildOptions } from 'esbuild';
import { repoRoot } from '../appContext';
import { lambdaBundling } from './HandlerFunction';

/**
 * esbuild options equivalent to the NodejsFunction bundling options of {@link lambdaBundling} (its CLI
 * flags, as the JS API): what the bundle test and the bundle benchmark build with.
 */
export const lambdaEsbuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: lambdaBundling.format,
  target: lambdaBundling.target,
  mainFields: [...lambdaBundling.mainFields],
  external: [...lambdaBundling.externalModules],
  minify: lambdaBundling.minify,
  keepNames: lambdaBundling.keepNames,
  sourcemap: lambdaBundling.sourceMap,
  sourcesContent: lambdaBundling.sourcesContent,
  banner: { js: lambdaBundling.banner },
  // `--alias:from=to` arguments, resolved from the project root as NodejsFunction runs esbuild there.
  alias: Object.fromEntries(
    lambdaBundling.esbuildArgs['--alias'].map((arg) => [
      arg.slice(0, arg.indexOf('=')),
      arg.slice(arg.indexOf('=') + 1),
    ]),
  ),
  absWorkingDir: repoRoot,
};
