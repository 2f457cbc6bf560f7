import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicHolidayResolver } from '../../functions/core/holidays';
import { repoRoot } from '../../infra/appContext';
import { esbuildOptionsOf, handlerEntries, lambdaBundling } from '../../infra/bundling';
import { buildLambdaBundles, type LambdaBundles } from '../../scripts/local/lambdaBundles';

// Verifies what the deployed bundles do with names and holidays: the state machine retries and
// catches errors by their `name`, and a minifier that renames classes silently breaks that on AWS
// only; the bundles carry the holiday dates resolved at build time and none of the rules engine that
// resolved them. The bundle is built
// by esbuild with the options NodejsFunction passes it for `lambdaBundling` (`esbuildOptionsOf`);
// the local stack runs the bundles of every function built the same way (`buildLambdaBundles`).

const esbuildOptions = esbuildOptionsOf(lambdaBundling);

// The escalate step throws ConflictError when an agent wrote the complaint in between; the bundle
// entry re-exports the error classes beside the handler so that the test can construct them, and
// what the holiday calendar is computed with.
const entry = `
export { handler } from './functions/handlers/workflow/escalate.ts';
export * as errors from './functions/core/errors.ts';
export { publicHolidayResolver } from './functions/core/holidays.ts';
`;

interface BundledModule {
  handler: unknown;
  errors: Record<string, new (message: string) => Error>;
  publicHolidayResolver: typeof publicHolidayResolver;
}

let dir: string;
let bundled: BundledModule;
let bundlingMs: number;
let inputs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  const started = performance.now();
  const result = await build({
    ...esbuildOptions,
    stdin: { contents: entry, resolveDir: repoRoot, sourcefile: 'entry.ts', loader: 'ts' },
    outfile: join(dir, 'index.mjs'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  inputs = Object.keys(result.metafile.inputs);
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

  it('carries the resolved holiday dates and none of the rules engine (date-holidays, moment)', () => {
    expect(inputs).toContain('functions/core/holidayCalendar.json');
    expect(inputs.filter((path) => /node_modules\/(date-holidays|moment)/.test(path))).toEqual([]);
    const berlin = { country: 'DE', state: 'BE', types: ['public', 'bank'] } as const;
    expect([...bundled.publicHolidayResolver(berlin)(2027)]).toEqual([
      ...publicHolidayResolver(berlin)(2027),
    ]);
  });
});

describe('the bundles the local stack runs (buildLambdaBundles)', () => {
  let bundles: LambdaBundles;
  let dynamo: Server;
  let endpoint: string;

  beforeAll(async () => {
    bundles = await buildLambdaBundles();
    console.info(`Lambda bundles ${bundles.built ? 'built' : 'reused'} in ${Math.round(bundles.ms)} ms`);
    // A DynamoDB endpoint that finds nothing: every GetItem answers without an Item.
    dynamo = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(() => dynamo?.close());

  it('exports the Lambda handler and the factory the local stack calls, for every function', async () => {
    expect(Object.keys(bundles.files).sort()).toEqual(Object.keys(handlerEntries).sort());
    for (const [name, file] of Object.entries(bundles.files)) {
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      expect(typeof module.handler, name).toBe('function');
      expect(typeof module.handlerFor, name).toBe('function');
    }
  });

  it('throws the error names the state machine matches (a missing complaint: NotFoundError)', async () => {
    const { handlerFor } = (await import(pathToFileURL(bundles.files.escalate).href)) as {
      handlerFor: (runtime: unknown) => (event: unknown) => Promise<unknown>;
    };
    const escalate = handlerFor({
      env: {
        TABLE_NAME: 'Complaints',
        SUPPORT_ADDRESS: 'support@support.localhost',
        SENDER_ADDRESS: 'support@support.localhost',
        MAIL_DOMAIN: 'support.localhost',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
      aws: {
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        endpoints: { dynamodb: endpoint, sesv2: endpoint, sfn: endpoint, lambda: endpoint, sns: endpoint },
      },
      signingKey: 'unused',
    });
    await expect(escalate({ complaintId: 'c1', cause: 'sla_breach' })).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
