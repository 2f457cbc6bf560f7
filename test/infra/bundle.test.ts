import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/appContext';
import { lambdaBundling } from '../../infra/constructs/HandlerFunction';

// Verifies what the deployed bundles do with names: the state machine retries and catches errors by
// their `name`, and a minifier that renames classes silently breaks that on AWS only. The bundle is
// built by esbuild with the options NodejsFunction passes it for `lambdaBundling`.

/** esbuild options equivalent to the NodejsFunction bundling options (its CLI flags, as the JS API). */
const esbuildOptions: BuildOptions = {
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
};

// The escalate step throws ConflictError when an agent wrote the complaint in between; the bundle
// entry re-exports the error classes beside the handler so that the test can construct them.
const entry = `
export { handler } from './functions/handlers/workflow/escalate.ts';
export * as errors from './functions/core/errors.ts';
`;

interface BundledModule {
  handler: unknown;
  errors: Record<string, new (message: string) => Error>;
}

let dir: string;
let bundled: BundledModule;
let bundlingMs: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  const started = performance.now();
  const result = await build({
    ...esbuildOptions,
    stdin: { contents: entry, resolveDir: repoRoot, sourcefile: 'entry.ts', loader: 'ts' },
    outfile: join(dir, 'index.mjs'),
    write: false,
    logLevel: 'silent',
  });
  bundlingMs = performance.now() - started;
  for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
  bundled = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as BundledModule;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lambda bundle (lambdaBundling)', () => {
  it('is minified with names kept, for Node.js 24 as ESM', () => {
    expect(lambdaBundling).toMatchObject({ minify: true, keepNames: true, target: 'node24', format: 'esm' });
    console.info(`bundled escalate in ${Math.round(bundlingMs)} ms`);
  });

  it('exports the handler', () => {
    expect(typeof bundled.handler).toBe('function');
  });

  it('keeps the names of the error classes the state machine retries and catches', () => {
    for (const name of ['ConflictError', 'NotFoundError', 'InvalidTransitionError', 'ValidationError']) {
      const ErrorClass = bundled.errors[name];
      expect(ErrorClass, name).toBeDefined();
      expect(new (ErrorClass as new (message: string) => Error)('x').name).toBe(name);
    }
  });
});
