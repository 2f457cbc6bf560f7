import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, type RouteSpec } from '../../functions/api/routes';
import { api, sendMail, waitFor } from '../../scripts/local/localStackClient';
import { type ApiTestStack, type ComplaintView, openComplaints, startApiTestStack } from './apiTestStack';

/**
 * Bad input never breaks the API: fast-check sends arbitrary JSON and non-JSON bodies (huge ones too),
 * wrong content types, garbage If-Match headers and hostile path parameters (unicode, very long, `..`,
 * encoded slashes) to every route of `apiRoutes` with a valid manager token.
 * Every answer is below 500, and a 4xx is RFC 9457 problem details — except the gateway's own JSON
 * answers (400 for malformed percent-encoding, 401/403/404/413 `{ message }`, and the HTTP server's own 414/431 for an oversized request
 * line), as API Gateway gives them before the Lambda runs.
 * Then, with an oracle per property: forged, tampered and borrowed pagination cursors on every list
 * (200 only for the list's own cursor, 400 otherwise), extreme numbers in every numeric body and query
 * field, and extreme If-Match values (400 exactly when invalid; the complaint never changes).
 */
let t: ApiTestStack;
let complaint: ComplaintView;
let customers: [string, string];
let etag: string;
/** Real cursors, each with the list (scope) that issued it. */
const issued: { scope: string; cursor: string }[] = [];

const manager = () => t.stack.endpoints.tokens.manager;
const read = async (id: string) =>
  api<{ complaint: ComplaintView }>(t.stack.endpoints, 'GET', `/complaints/${id}`, { token: manager() });

/** The lists, each with the scope its cursors are bound to (two routes list a customer's complaints). */
const lists = (): { path: string; query: Record<string, string>; scope: string }[] => [
  { path: '/complaints', query: { queue: 'tier1' }, scope: 'queue tier1' },
  { path: '/complaints', query: { tier: '1' }, scope: 'queue tier1' },
  {
    path: '/complaints',
    query: { queue: 'tier1', status: 'awaiting_agent' },
    scope: 'queue tier1 awaiting_agent',
  },
  { path: '/complaints', query: { queue: 'tier2' }, scope: 'queue tier2' },
  { path: '/complaints', query: { assignee: 'me' }, scope: 'assignee dev-manager' },
  { path: '/complaints', query: { customer: customers[0] }, scope: `customer ${customers[0]}` },
  {
    path: `/customers/${encodeURIComponent(customers[0])}/complaints`,
    query: {},
    scope: `customer ${customers[0]}`,
  },
  {
    path: `/customers/${encodeURIComponent(customers[1])}/complaints`,
    query: {},
    scope: `customer ${customers[1]}`,
  },
  { path: '/quarantine', query: {}, scope: 'quarantine quarantined' },
  { path: '/quarantine', query: { status: 'released' }, scope: 'quarantine released' },
  { path: '/reports/at-risk', query: { from: '2026-01-01', to: '2026-12-31' }, scope: 'report at-risk' },
];
type List = ReturnType<typeof lists>[number];

const listPage = (list: List, extra: Record<string, string>) =>
  fetch(`${t.stack.endpoints.api.url}${list.path}?${new URLSearchParams({ ...list.query, ...extra })}`, {
    headers: { authorization: `Bearer ${manager()}` },
  });

beforeAll(async () => {
  t = await startApiTestStack('api-fuzz');
  const opened = await openComplaints(t.stack, 3);
  complaint = opened[0] as ComplaintView;
  customers = [opened[0]?.customerEmail as string, opened[1]?.customerEmail as string];
  etag = (await read(complaint.id)).headers.get('etag') as string;
  // Two complaints in the manager's assignee list, and two held mails: lists with a second page.
  for (const other of opened.slice(1)) {
    const res = await api(t.stack.endpoints, 'POST', `/complaints/${other.id}/claim`, {
      token: manager(),
      headers: { 'if-match': `"${other.version}"` },
    });
    expect(res.status).toBe(200);
  }
  for (const n of [1, 2]) {
    await sendMail(t.stack.endpoints, {
      from: `spammer${n}@example.org`,
      subject: `Offer ${n}`,
      text: 'Buy now.',
      headers: { 'X-Local-Spam-Verdict': 'FAIL' },
    });
  }
  await waitFor(async () => {
    const res = await api<{ items: unknown[] }>(t.stack.endpoints, 'GET', '/quarantine', {
      token: manager(),
    });
    return res.body.items.length >= 2 ? true : undefined;
  }, 'two quarantined mails');
  for (const list of lists()) {
    const page = (await (await listPage(list, { limit: '1' })).json()) as { cursor?: string };
    if (page.cursor) issued.push({ scope: list.scope, cursor: page.cursor });
  }
});
afterAll(() => t?.close());

/** The problem-details contract of every answer the Lambda gives: below 500, 4xx as RFC 9457. */
async function assertProblemContract(res: Response, what: string) {
  const text = await res.text();
  expect(res.status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), `${what}: ${text.slice(0, 200)}`).toBe(
      'application/problem+json',
    );
    expect(JSON.parse(text)).toMatchObject({ status: res.status, title: expect.any(String) });
  }
  return text;
}

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

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** A cursor: a real one (of any list), a real one altered, a forged one, or any string. */
const cursor = fc.oneof(
  fc.constant(null).chain(() => fc.constantFrom(...issued.map((c) => c.cursor))),
  fc
    .tuple(
      fc.constant(null).chain(() => fc.constantFrom(...issued.map((c) => c.cursor))),
      fc.nat(),
      fc.constantFrom('flip', 'truncate', 'append', 'prefix', 'borrowMac', 'reencode'),
    )
    .map(([real, n, how]) => {
      const at = n % real.length;
      const mac = real.slice(real.lastIndexOf('.'));
      const storePart = real.slice(0, real.lastIndexOf('.'));
      switch (how) {
        case 'flip':
          return `${real.slice(0, at)}${real[at] === 'A' ? 'B' : 'A'}${real.slice(at + 1)}`;
        case 'truncate':
          return real.slice(0, at);
        case 'append':
          return `${real}A`;
        case 'prefix':
          return `A${real}`;
        case 'borrowMac':
          return `${base64url(JSON.stringify({ PK: 'COMPLAINT#x', SK: 'META' }))}${mac}`;
        default: {
          // Decoded, changed and re-encoded: the JSON a client might think it may edit.
          const key = JSON.parse(Buffer.from(storePart, 'base64url').toString('utf8')) as Record<
            string,
            unknown
          >;
          return `${base64url(JSON.stringify({ ...key, SK: 'ZZZ' }))}${mac}`;
        }
      }
    }),
  fc.jsonValue().map((v) => base64url(JSON.stringify(v))),
  fc
    .dictionary(
      fc.constantFrom('PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'GSI3PK', 'GSI3SK', 'x'),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant({ S: 'QUEUE#tier1' })),
    )
    .map((key) => base64url(JSON.stringify(key))),
  fc.string({ minLength: 1, maxLength: 200 }),
);

describe('forged cursors', () => {
  it('page only with the list’s own cursor: every other cursor is a 400 on every list (300 runs)', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(5);
    const answers = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...lists()),
        cursor,
        fc.integer({ min: 1, max: 5 }),
        async (list, c, limit) => {
          const res = await listPage(list, { cursor: c, limit: String(limit) });
          await assertProblemContract(res, `${list.path} ${JSON.stringify(list.query)} cursor ${c}`);
          const own = issued.some((i) => i.cursor === c && i.scope === list.scope);
          expect(res.status, `${list.scope} with ${c}`).toBe(own ? 200 : 400);
          answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
        },
      ),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    console.info('forged cursors: answers', Object.fromEntries(answers));
  }, 60_000);
});

/** A number as JSON text: the extremes DynamoDB and IEEE doubles have, and ordinary amounts. */
const numberLiteral = fc.oneof(
  fc.constantFrom(
    '1e-131',
    '1e-130',
    '1e126',
    '9.9999999999999999999999999999999999999e125',
    '-0',
    '0',
    '1e400',
    '-1e400',
    '5e-324',
    '123456789012345678901234567890',
    '9007199254740993',
    '0.1234567890123456789',
    '0.30000000000000004',
    '19.999',
    '19.99',
    '40',
    '1E2',
    '1000000',
    '1000000.01',
    '"NaN"',
    '"Infinity"',
    '"40"',
    'null',
    'true',
    '[]',
    '{}',
  ),
  fc.double().map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc
    .tuple(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 }),
    )
    .map(([whole, decimals]) => `${whole}.${decimals}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
);
const parsed = (literal: string): unknown => JSON.parse(literal);

/** An amount the API must take (EUR: positive, at most 1,000,000, cents at most). */
const validAmount = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1_000_000 && Math.round(v * 100) / 100 === v;
const validVersion = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** How a version (in JSON or If-Match) and a number in a query are written: a plain decimal integer. */
const decimalInteger = /^(0|[1-9][0-9]*)$/;

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.stack.endpoints.api.url}/complaints/${complaint.id}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manager()}`, 'content-type': 'application/json', ...headers },
    body,
  });

describe('extreme numbers and versions', () => {
  it('a number DynamoDB or the currency cannot take is a 400 in every numeric field, never a 500 (400 runs)', async () => {
    const stale = `"${complaint.version - 1}"`;
    const answers = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('amount', 'version', 'limit', 'tier', 'quarantineLimit', 'customerLimit'),
        numberLiteral,
        async (field, literal) => {
          let res: Response;
          let valid: boolean;
          let expected: number;
          if (field === 'amount') {
            // A valid amount goes with a stale version (409), so no run resolves the complaint.
            valid = validAmount(parsed(literal));
            const body = `{"type":"refund","amount":${literal},"summary":"Refund.","rootCause":"carrier_delay"}`;
            res = await post('resolution', body, { 'if-match': valid ? stale : etag });
            expected = 409;
          } else if (field === 'version') {
            // An approval on a complaint waiting for an agent: any well-formed version is a 409.
            // Written as a plain decimal integer too: `3.0`, `3e0` and `-0` are numbers JSON reads as one.
            valid = validVersion(parsed(literal)) && decimalInteger.test(literal);
            res = await post('approval', `{"decision":"approve","version":${literal}}`);
            expected = 409;
          } else {
            // Query strings carry the number's text (quotes stripped), as a client would put it in a URL.
            const text = literal.replace(/^"|"$/g, '');
            const n = Number(text);
            const [path, max] =
              field === 'tier'
                ? ['/complaints', 3]
                : field === 'quarantineLimit'
                  ? ['/quarantine', 100]
                  : field === 'customerLimit'
                    ? [`/customers/${encodeURIComponent(customers[0])}/complaints`, 100]
                    : ['/complaints', 100];
            const param = field === 'tier' ? 'tier' : 'limit';
            // Only a plain decimal integer: not whatever `Number()` reads (`0x2`, `1e0`, ` 2`, `2.0`).
            valid = decimalInteger.test(text) && n >= 1 && n <= max;
            res = await fetch(
              `${t.stack.endpoints.api.url}${path}?${new URLSearchParams({ [param]: text })}`,
              {
                headers: { authorization: `Bearer ${manager()}` },
              },
            );
            expected = 200;
          }
          await assertProblemContract(res, `${field} = ${literal}`);
          expect(res.status, `${field} = ${literal}`).toBe(valid ? expected : 400);
          answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
        },
      ),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    console.info('extreme numbers: answers', Object.fromEntries(answers));
    expect((await read(complaint.id)).body.complaint.version).toBe(complaint.version);
  }, 60_000);

  it('an If-Match that is not one quoted safe decimal integer is a 400; a well-formed one a 409 (200 runs)', async () => {
    const header = fc.oneof(
      fc.constantFrom(
        '"999999999999999999999999999999"',
        `"${Number.MAX_SAFE_INTEGER}"`,
        `"${Number.MAX_SAFE_INTEGER + 1}"`,
        '"1e3"',
        '"-1"',
        '"-0"',
        '"0"',
        'W/"1"',
        '"1", "2"',
        '*',
        '1',
        '""',
        '"',
        '"Infinity"',
        '"NaN"',
        '"0x10"',
        '" 1"',
        '"0003"',
        '"00"',
      ),
      fc.bigInt({ min: 0n, max: 10n ** 30n }).map((n) => `"${n}"`),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((x) => `W/"${x}"`),
    );
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        // Header values fetch can carry; the HTTP layer trims the surrounding blanks.
        fc.pre(/^[\t\x20-\x7e]*$/.test(h) && h.trim() !== '');
        const res = await post('approval', '{"decision":"approve"}', { 'if-match': h });
        await assertProblemContract(res, `If-Match ${h}`);
        const digits = /^"(\d+)"$/.exec(h.trim())?.[1];
        // Written as the ETag gives it: no leading zeros (`"0003"`).
        const wellFormed =
          digits !== undefined && decimalInteger.test(digits) && Number.isSafeInteger(Number(digits));
        expect(res.status, `If-Match ${h}`).toBe(wellFormed ? 409 : 400);
      }),
      { numRuns: 200, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    expect((await read(complaint.id)).body.complaint.version).toBe(complaint.version);
  }, 60_000);
});
