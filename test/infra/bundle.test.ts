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
import { busyErrors, conflictErrors, mailInFlightErrors } from '../../functions/application/retryableErrors';
import { publicHolidayResolver } from '../../functions/core/holidays';
import { repoRoot } from '../../infra/appContext';
import { handlerEntries, lambdaEntryFile, lambdaEsbuildOptions } from '../../infra/bundling';
import { HandlerFunction } from '../../infra/constructs/HandlerFunction';
import { buildLambdaBundles, type LambdaBundles } from '../../scripts/local/lambdaBundles';
import { staticImports } from '../support/staticImports';

// Verifies what the deployed bundles do with names and holidays: the state machine retries and
// catches errors by their `name`, and a minifier that renames classes silently breaks that on AWS
// only; the bundles carry the holiday dates resolved at build time and none of the rules engine that
// resolved them. The bundle is built by esbuild with the options every function is built with
// (`lambdaEsbuildOptions`); the local stack runs the folders of every function built the same way
// (`buildLambdaBundles`), and CDK deploys exactly those folders.

// The escalate step throws ConflictError when an agent wrote the complaint in between; the bundle
// entry re-exports, beside the handler, every module of functions/ that declares an error class (found
// in the sources, below), so that the test can construct each class as minified, and what the holiday
// calendar is computed with.
const functionsDir = join(repoRoot, 'functions');
const errorClassDeclaration = /^export class (\w+) extends (\w*Error)\b/gm;
/** Every error class declared in functions/, by the file (relative to the project root) declaring it. */
const errorClassFiles = readdirSync(functionsDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => ({
    file,
    classes: [...readFileSync(join(functionsDir, file), 'utf8').matchAll(errorClassDeclaration)],
  }))
  .filter(({ classes }) => classes.length > 0);
/** A subclass that reports its parent's name on purpose: the same Retry and Catch, and the same HTTP status. */
const sharesParentName: Record<string, string> = { StaleWriteError: 'ConflictError' };

const entry = `
export { handler } from '${repoRoot}/functions/handlers/workflow/escalate.ts';
${errorClassFiles.map(({ file }, i) => `export * as errors${i} from '${join(functionsDir, file)}';`).join('\n')}
export { publicHolidayResolver } from '${repoRoot}/functions/core/holidays.ts';
`;

interface BundledModule {
  handler: unknown;
  publicHolidayResolver: typeof publicHolidayResolver;
  [errors: `errors${number}`]: Record<string, unknown>;
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
  it('is minified, for Node.js 24 as ESM split into chunks', () => {
    expect(lambdaEsbuildOptions).toMatchObject({
      minify: true,
      target: 'node24',
      format: 'esm',
      splitting: true,
    });
    // Names are not kept (esbuild's keepNames): every error class names itself with a literal.
    expect(lambdaEsbuildOptions).not.toHaveProperty('keepNames');
    console.info(`bundled escalate in ${Math.round(bundlingMs)} ms`);
  });

  it('exports the handler', () => {
    expect(typeof bundled.handler).toBe('function');
  });

  it('throws every error class of functions/ under its own name, minified, as the state machine matches them', () => {
    const declared = errorClassFiles.flatMap(({ classes }) => classes.map(([, name]) => name as string));
    // The workflow's own retryable errors are among them (a sanity check on the source scan).
    expect(declared).toEqual(
      expect.arrayContaining([...conflictErrors, ...busyErrors, ...mailInFlightErrors, 'NotFoundError']),
    );
    for (const [i, { classes }] of errorClassFiles.entries()) {
      const exported = bundled[`errors${i}`] as Record<string, unknown>;
      for (const [, name] of classes) {
        const ErrorClass = exported[name as string] as new (message: unknown) => Error;
        expect(ErrorClass, name).toBeTypeOf('function');
        // A message that every constructor here takes (PolicyError's is a list of problems).
        expect(new ErrorClass(['x']).name, name).toBe(sharesParentName[name as string] ?? name);
      }
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

  it('loads at cold start none of the SDK code that only a client built on first call uses', () => {
    // awaitPerson builds its DynamoDB client at cold start and its SNS client on the first alert: SNS's
    // query protocol and XML parser are in the folder, and outside every chunk its entry imports.
    const dir = dirname(bundles.files.awaitPerson);
    const sourcesOf = (files: string[]) =>
      files.flatMap(
        (file) =>
          (JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')) as { sources: string[] }).sources,
      );
    const queryProtocol = (source: string) => /protocols\/query\/|xml-builder/.test(source);
    const everyChunk = readdirSync(dir).filter((file) => file.endsWith('.mjs'));
    expect(sourcesOf(everyChunk).filter(queryProtocol).length).toBeGreaterThan(0);
    expect(sourcesOf(staticImports(dir, lambdaEntryFile)).filter(queryProtocol)).toEqual([]);
  });

  it('keeps the OpenAPI generator out of the API router: its own function serves the document', () => {
    const sourcesIn = (name: 'api' | 'apiDocs') => {
      const dir = dirname(bundles.files[name]);
      return readdirSync(dir)
        .filter((file) => file.endsWith('.mjs.map'))
        .flatMap(
          (file) => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { sources: string[] }).sources,
        );
    };
    const generator = (source: string) => /to-json-schema|functions\/api\/openapi\.ts/.test(source);
    expect(sourcesIn('apiDocs').filter(generator).length).toBeGreaterThan(0);
    expect(sourcesIn('api').filter(generator)).toEqual([]);
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
