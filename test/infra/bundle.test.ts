import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicHolidayResolver } from '../../functions/core/holidays';
import { repoRoot } from '../../infra/appContext';
import { handlerEntries, lambdaEntryFile, lambdaEsbuildOptions } from '../../infra/bundling';
import { HandlerFunction } from '../../infra/constructs/HandlerFunction';
import { buildLambdaBundles, type LambdaBundles } from '../../scripts/local/lambdaBundles';

// Verifies what the deployed bundles do with names and holidays: the state machine retries and
// catches errors by their `name`, and a minifier that renames classes silently breaks that on AWS
// only; the bundles carry the holiday dates resolved at build time and none of the rules engine that
// resolved them. The bundle is built by esbuild with the options every function is built with
// (`lambdaEsbuildOptions`); the local stack runs the folders of every function built the same way
// (`buildLambdaBundles`), and CDK deploys exactly those folders.

// The escalate step throws ConflictError when an agent wrote the complaint in between; the bundle
// entry re-exports the error classes beside the handler so that the test can construct them, and
// what the holiday calendar is computed with.
const entry = `
export { handler } from '${repoRoot}/functions/handlers/workflow/escalate.ts';
export * as errors from '${repoRoot}/functions/core/errors.ts';
export { publicHolidayResolver } from '${repoRoot}/functions/core/holidays.ts';
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
  writeFileSync(join(dir, 'entry.ts'), entry);
  const result = await build({
    ...lambdaEsbuildOptions,
    entryPoints: { index: join(dir, 'entry.ts') },
    outdir: join(dir, 'out'),
    logLevel: 'silent',
  });
  inputs = Object.keys(result.metafile.inputs);
  bundlingMs = performance.now() - started;
  bundled = (await import(pathToFileURL(join(dir, 'out', lambdaEntryFile)).href)) as BundledModule;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lambda bundle (lambdaEsbuildOptions)', () => {
  it('is minified with names kept, for Node.js 24 as ESM split into chunks', () => {
    expect(lambdaEsbuildOptions).toMatchObject({
      minify: true,
      keepNames: true,
      target: 'node24',
      format: 'esm',
      splitting: true,
    });
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

  it('exports the Lambda handler and the factory the local stack calls from every function folder', async () => {
    expect(Object.keys(bundles.files).sort()).toEqual(Object.keys(handlerEntries).sort());
    for (const [name, file] of Object.entries(bundles.files)) {
      expect(file.endsWith(join(name, lambdaEntryFile)), name).toBe(true);
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      expect(typeof module.handler, name).toBe('function');
      expect(typeof module.handlerFor, name).toBe('function');
    }
  });

  it('are what the local stack runs: no module of the local stack imports a handler from source', () => {
    const localDir = join(repoRoot, 'scripts', 'local');
    const sources = readdirSync(localDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.(ts|mjs)$/.test(f),
    );
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      expect(readFileSync(join(localDir, file), 'utf8'), file).not.toMatch(/functions\/handlers\//);
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
        endpoints: {
          dynamodb: endpoint,
          sesv2: endpoint,
          sfn: endpoint,
          lambda: endpoint,
          sns: endpoint,
          eventbridge: endpoint,
        },
      },
      signingKey: 'unused',
    });
    await expect(escalate({ complaintId: 'c1', cause: 'sla_breach' })).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});

describe('the asset CDK deploys (HandlerFunction)', () => {
  let outdir: string;
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('is the folder the local stack runs, built by the same function: the same files byte for byte', async () => {
    outdir = mkdtempSync(join(tmpdir(), 'bundle-asset-'));
    // One function, synthesized with bundling (the stack's own tests skip it): its asset is what
    // `cdk deploy` uploads.
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'BundleAsset');
    new HandlerFunction(stack, 'WarnSlaFn', {
      entry: handlerEntries.warnSla,
      access: { table: [] },
      environment: {},
    });
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
      Properties: { Handler: string; Code: { S3Key: string } };
    }[];
    expect(fn?.Properties.Handler).toBe('index.handler');
    const assetDir = join(app.synth().directory, `asset.${fn?.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const localDir = dirname((await buildLambdaBundles()).files.warnSla);
    const filesOf = (folder: string) => readdirSync(folder).sort();
    expect(filesOf(assetDir)).toEqual(filesOf(localDir));
    expect(filesOf(assetDir)).toContain(lambdaEntryFile);
    for (const file of filesOf(localDir)) {
      expect(readFileSync(join(assetDir, file)).equals(readFileSync(join(localDir, file))), file).toBe(true);
    }
  }, 60_000);
});
