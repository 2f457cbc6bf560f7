import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import HolidaysParser from 'date-holidays-parser';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import holidayData from '../../functions/core/holidayData.json';
import {
  bundledHolidayCountries,
  type HolidaySource,
  publicHolidayResolver,
} from '../../functions/core/holidays';
import { repoRoot } from '../../infra/appContext';
import { esbuildOptionsOf, handlerEntries, lambdaBundling } from '../../infra/bundling';
import { buildLambdaBundles, type LambdaBundles } from '../../scripts/local/lambdaBundles';

// Verifies what the deployed bundles do with names and holidays: the state machine retries and
// catches errors by their `name`, and a minifier that renames classes silently breaks that on AWS
// only; the bundles carry moment-timezone without its zone database and stand-ins for the
// astronomical calendars, so their holidays must be checked against the sources'. The bundle is built
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
export { default as HolidaysParser } from 'date-holidays-parser';
export { default as moment } from 'moment-timezone';
`;

interface BundledModule {
  handler: unknown;
  errors: Record<string, new (message: string) => Error>;
  publicHolidayResolver: typeof publicHolidayResolver;
  HolidaysParser: typeof HolidaysParser;
  moment: { tz: { names(): string[] } };
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

  it('carries only the time zones of the bundled holiday rules', () => {
    expect(bundled.moment.tz.names()).toEqual(['Europe/Berlin']);
  });

  it('computes the same holidays and closures as the sources in every bundled state (all 16 German ones), 2026-2035', () => {
    // A country added to the bundled rules is checked too: rules needing a stand-in throw here.
    const catalogue = new HolidaysParser(holidayData);
    expect(Object.keys(catalogue.getStates('DE') ?? {})).toHaveLength(16);
    for (const country of bundledHolidayCountries) {
      for (const state of [undefined, ...Object.keys(catalogue.getStates(country) ?? {})]) {
        const where = `${country}${state ? `-${state}` : ''}`;
        const source: HolidaySource = { country, state, types: ['public', 'bank'] };
        const fromBundle = bundled.publicHolidayResolver(source);
        const fromSources = publicHolidayResolver(source);
        // The holidays' start and end instants show the time zone data; closures are local dates.
        const rulesInBundle = new bundled.HolidaysParser(holidayData, { country, state });
        const rulesInSources = new HolidaysParser(holidayData, { country, state });
        for (let year = 2026; year <= 2035; year++) {
          expect(fromSources(year).size, `${where} ${year}`).toBeGreaterThan(8);
          expect([...fromBundle(year)], `${where} ${year}`).toEqual([...fromSources(year)]);
          expect(rulesInBundle.getHolidays(year), `${where} ${year}`).toEqual(
            rulesInSources.getHolidays(year),
          );
        }
      }
    }
  });

  it('fails loudly on rules that need the astronomical calendars it leaves out', () => {
    const rules = (days: Record<string, object>) => ({
      holidays: { XX: { names: { en: 'Nowhere' }, zones: ['Europe/Berlin'], days } },
      names: {},
    });
    const cases = [
      ['march equinox', /astronomia is not bundled/],
      ['julian 12-25', /astronomia is not bundled/],
      ['chinese 01-0-01', /date-chinese is not bundled/],
    ] as const;
    for (const [rule, error] of cases) {
      expect(
        () => new bundled.HolidaysParser(rules({ [rule]: { name: { en: 'X' } } }), 'XX').getHolidays(2027),
        rule,
      ).toThrow(error);
    }
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
        endpoints: { dynamodb: endpoint, sesv2: endpoint, sfn: endpoint },
      },
      signingKey: 'unused',
    });
    await expect(escalate({ complaintId: 'c1', cause: 'sla_breach' })).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
