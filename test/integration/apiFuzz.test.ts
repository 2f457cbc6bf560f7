import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, type RouteSpec } from '../../functions/api/routes';
import { api } from '../../scripts/local/localStackClient';
import { type ApiTestStack, type ComplaintView, openComplaints, startApiTestStack } from './apiTestStack';

/**
 * Bad input never breaks the API: fast-check sends arbitrary JSON and non-JSON bodies (huge ones too),
 * wrong content types, garbage If-Match headers and hostile path parameters (unicode, very long, `..`,
 * encoded slashes) to every route of `apiRoutes` with a valid manager token.
 * Every answer is below 500, and a 4xx is RFC 9457 problem details — except the gateway's own JSON
 * answers (400 for malformed percent-encoding, 401/403/404/413 `{ message }`, and the HTTP server's own 414/431 for an oversized request
 * line), as API Gateway gives them before the Lambda runs.
 */
let t: ApiTestStack;
let complaint: ComplaintView;
let etag: string;

beforeAll(async () => {
  t = await startApiTestStack('api-fuzz');
  [complaint] = (await openComplaints(t.stack, 1)) as [ComplaintView];
  const read = await api(t.stack.endpoints, 'GET', `/complaints/${complaint.id}`, {
    token: t.stack.endpoints.tokens.manager,
  });
  etag = read.headers.get('etag') as string;
});
afterAll(() => t?.close());

const routes = Object.values(apiRoutes as Record<string, RouteSpec>);

/** A path parameter as it goes on the wire (already percent-encoded where meant to be). */
const pathParam = fc.oneof(
  fc.constant(null).map(() => complaint.id),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
  fc
    .integer({ min: 300, max: 3000 })
    .map((n) => 'é'.repeat(n))
    .map(encodeURIComponent),
  fc.constantFrom(
    '..',
    '%2E%2E',
    '%2F',
    '..%2F..%2Fquarantine',
    'a%2Fb',
    '%00',
    '%C3%A9',
    '%F0%9F%92%A9',
    '%',
    '%E0%A4%A',
  ),
  fc.constant(null).map(() => `${complaint.id}%2Fclose`),
);

const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        type: fc.oneof(fc.constantFrom('refund', 'apology', 'credit'), fc.string()),
        amount: fc.oneof(fc.double(), fc.integer(), fc.string()),
        decision: fc.constantFrom('approve', 'reject', 'maybe'),
        reason: fc.oneof(fc.string(), fc.constantFrom('duplicate', 'withdrawn')),
        version: fc.oneof(fc.integer(), fc.double(), fc.string()),
        outcome: fc.constantFrom('satisfied', 'unsatisfied', 'unreachable', ''),
        summary: fc.string(),
        rootCause: fc.string(),
        mergedInto: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom('', '{', 'null', '[]', '"x"', '1e999', '{"__proto__":{"polluted":1}}', '\u0000'),
  // Huge bodies are built in the property, so that a counterexample prints their size, not their text.
  fc.record({ hugeSummaryLength: fc.integer({ min: 100_000, max: 400_000 }) }),
);
const bodyText = (b: string | { hugeSummaryLength: number }) =>
  typeof b === 'string' ? b : JSON.stringify({ summary: 'x'.repeat(b.hugeSummaryLength) });

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'application/xml',
    'application/octet-stream',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
  ),
  { nil: undefined },
);

const ifMatch = fc.option(
  fc.oneof(
    fc.constant(null).map(() => etag),
    fc.string(),
    fc.constantFrom('*', '"-1"', '"0"', 'W/"1"', '"99999999999999999999"', '"1", "2"', ' ', '"1e3"'),
  ),
  { nil: undefined },
);

const query = fc.option(
  fc.dictionary(
    fc.constantFrom('queue', 'tier', 'limit', 'cursor', 'reference', 'status', 'answer', 'x'),
    fc.string({ maxLength: 300 }),
  ),
  { nil: undefined },
);

const request = fc.record({
  route: fc.constantFrom(...routes),
  params: fc.array(pathParam, { minLength: 2, maxLength: 2 }),
  body,
  contentType,
  ifMatch,
  query,
});

/** Header values fetch can carry (no control characters); the rest is the server's business. */
const headerSafe = (v: string) => /^[\t\x20-\x7e]*$/.test(v);

describe('fuzzed requests', () => {
  it('never answer 5xx, and 4xx answers are problem details (300 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const path = r.route.path.replace(/\{\w+\}/g, () => r.params[i++] as string);
        const search = r.query ? `?${new URLSearchParams(r.query)}` : '';
        const headers: Record<string, string> = {
          ...(r.route.public ? {} : { authorization: `Bearer ${t.stack.endpoints.tokens.manager}` }),
          ...(r.contentType ? { 'content-type': r.contentType } : {}),
          ...(r.ifMatch !== undefined && headerSafe(r.ifMatch) ? { 'if-match': r.ifMatch } : {}),
        };
        const res = await fetch(`${t.stack.endpoints.api.url}${path}${search}`, {
          method: r.route.method,
          headers,
          ...(r.route.method === 'POST' ? { body: bodyText(r.body) } : {}),
        });
        const text = await res.text();
        expect(res.status, `${r.route.method} ${path}: ${text.slice(0, 300)}`).toBeLessThan(500);
        // 414/431: the HTTP server refuses an oversized request line before any routing (as API Gateway does).
        if (res.status >= 400 && !r.route.public && res.status !== 414 && res.status !== 431) {
          const type = res.headers.get('content-type');
          const fromGateway = [400, 401, 403, 404, 413].includes(res.status) && type === 'application/json';
          if (fromGateway) expect(JSON.parse(text)).toHaveProperty('message');
          else {
            expect(type, `${res.status} ${text.slice(0, 200)}`).toBe('application/problem+json');
            expect(JSON.parse(text)).toMatchObject({ status: res.status, title: expect.any(String) });
          }
        }
      }),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
  }, 60_000);
});
