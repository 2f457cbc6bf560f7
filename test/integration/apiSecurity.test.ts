import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, apiScope, type RouteName, type RouteSpec } from '../../functions/api/routes';
import { type AgentRole, agentRoles } from '../../functions/core/policy';
import { api, waitFor } from '../../scripts/local/localStackClient';
import { type ApiTestStack, type ComplaintView, openComplaints, startApiTestStack } from './apiTestStack';

/**
 * The route x credential matrix of the agent API, as API Gateway's JWT authorizer and the router answer
 * it: every route in `apiRoutes` (so routes added later are covered without editing this file) against
 * no token, a foreign signature, an expired token, the wrong audience/client_id, a token without the
 * scope, and a valid token of each role. Authorised calls send the ETag they read and an empty body, so
 * they reach the handler (which rejects the body) without changing the complaint.
 */
let t: ApiTestStack;
let complaint: ComplaintView;
let etag: string;
let devKey: CryptoKey | Uint8Array;
let clientId: string;
const issuer = 'http://localhost/dev-idp';

beforeAll(async () => {
  // A follow-up call due seconds after a resolution and open for minutes, for the tier rule's follow-up step.
  t = await startApiTestStack('api-security', {
    followUp: {
      delaySeconds: 1,
      callSlaSeconds: 900,
      maxCallAttempts: 2,
      retryDelaySeconds: 1,
      surveyLinkLifetimeSeconds: 300,
    },
  });
  [complaint] = (await openComplaints(t.stack, 1)) as [ComplaintView];
  const read = await api(t.stack.endpoints, 'GET', `/complaints/${complaint.id}`, {
    token: t.stack.endpoints.tokens.manager,
  });
  etag = read.headers.get('etag') as string;
  const stored = JSON.parse(await readFile(join(t.dataDir, 'dev-idp.json'), 'utf8')) as {
    privateJwk: JWK;
    clientId: string;
  };
  devKey = await importJWK(stored.privateJwk, 'ES256');
  clientId = stored.clientId;
});
afterAll(() => t?.close());

/** A Cognito-like access token; `overrides` bend one claim at a time. */
function sign(key: CryptoKey | Uint8Array, overrides: JWTPayload = {}, expiresAt?: number) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    'cognito:groups': ['manager'],
    scope: apiScope,
    client_id: clientId,
    token_use: 'access',
    ...overrides,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'local' })
    .setSubject('matrix-agent')
    .setIssuer(typeof overrides.iss === 'string' ? overrides.iss : issuer)
    .setIssuedAt(now - 7200)
    .setExpirationTime(expiresAt ?? now + 3600)
    .sign(key);
}

const routes = Object.entries(apiRoutes as Record<string, RouteSpec>);

/** A concrete path: `{email}` is the complaint's customer, every other parameter the complaint id. */
const pathOf = (route: RouteSpec) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(name === 'email' ? complaint.customerEmail : complaint.id),
  );

const call = (route: RouteSpec, token?: string) =>
  api(t.stack.endpoints, route.method, pathOf(route), {
    ...(token ? { token } : {}),
    ...(route.method === 'POST' ? { body: {}, headers: { 'if-match': etag } } : {}),
  });

describe('route x credential matrix', () => {
  it('rejects bad credentials on every non-public route: 401 as API Gateway answers, 403 without the scope', async () => {
    const foreign = (await generateKeyPair('ES256')).privateKey;
    const credentials: [string, () => Promise<string | undefined>, number][] = [
      ['no token', async () => undefined, 401],
      ['foreign signature', () => sign(foreign), 401],
      ['expired', () => sign(devKey, {}, Math.floor(Date.now() / 1000) - 60), 401],
      ['wrong audience', () => sign(devKey, { client_id: 'someone-else', aud: 'someone-else' }), 401],
      ['wrong issuer', () => sign(devKey, { iss: 'https://evil.example/idp' }), 401],
      ['missing scope', () => sign(devKey, { scope: 'openid profile' }), 403],
    ];
    for (const [name, route] of routes.filter(([, r]) => !r.public)) {
      for (const [credential, token, expected] of credentials) {
        const res = await call(route, await token());
        expect(res.status, `${name} with ${credential}`).toBe(expected);
        if (expected === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('lets each role through exactly the routes whose roles include it', async () => {
    for (const [name, route] of routes.filter(([, r]) => !r.public)) {
      for (const role of agentRoles) {
        const res = await call(route, t.stack.endpoints.tokens[role as AgentRole]);
        if (route.roles.includes(role)) {
          expect([401, 403], `${name} as ${role}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
          expect(res.status, `${name} as ${role}`).toBeLessThan(500);
        } else {
          expect(res.status, `${name} as ${role}`).toBe(403);
          expect(res.headers.get('content-type')).toBe('application/problem+json');
        }
      }
    }
  });

  it('refuses a token signed by the right key that carries no agent group', async () => {
    const route = apiRoutes.getComplaint as RouteSpec;
    const res = await call(route, await sign(devKey, { 'cognito:groups': ['customers'] }));
    expect(res.status).toBe(403);
  });

  it('answers public routes without a token (they authenticate the caller themselves)', async () => {
    for (const [name, route] of routes.filter(([, r]) => r.public)) {
      // Public routes answer customers' browsers (HTML), so read the status only.
      const res = await fetch(`${t.stack.endpoints.api.url}${pathOf(route)}`, { method: route.method });
      expect(res.status, name).not.toBe(401);
      expect(res.status, name).toBeLessThan(500);
    }
  });
});

/** The complaint writes of the route table: `POST /complaints/{id}/…`. */
const writeRoutes = (Object.keys(apiRoutes) as RouteName[]).filter(
  (name) => apiRoutes[name].method === 'POST' && apiRoutes[name].path.startsWith('/complaints/{id}/'),
);

const read = async (id: string) => {
  const res = await api<{ complaint: ComplaintView }>(t.stack.endpoints, 'GET', `/complaints/${id}`, {
    token: t.stack.endpoints.tokens.manager,
  });
  return { complaint: res.body.complaint, etag: res.headers.get('etag') as string };
};

const write = async (name: RouteName, id: string, role: AgentRole, body: unknown) =>
  api<{ status?: number }>(t.stack.endpoints, 'POST', apiRoutes[name].path.replace('{id}', id), {
    token: t.stack.endpoints.tokens[role],
    headers: { 'if-match': (await read(id)).etag },
    body,
  });

const until = (id: string, waitingFor: string) =>
  waitFor(async () => {
    const { complaint: c } = await read(id);
    return c.waitingFor === waitingFor && c.status !== 'deciding' ? c : undefined;
  }, `${id} waiting for ${waitingFor}`);

/**
 * The tier rule of every write (core/casework `assertMayWrite`): on a tier-3 complaint (a legal threat)
 * tier 1 and tier 2 get 403 on every write route with a valid body and the current version, and change
 * nothing; tier 3 or the manager then makes the same write succeed. Each write is tried in the state in
 * which it is accepted (a follow-up once the call is due, an approval once a proposal waits), so the
 * 403 is the tier rule and not the state.
 */
describe('tier rule on every complaint write', () => {
  it('forbids tier 1 and tier 2 every write to a tier-3 complaint; tier 3 and the manager succeed', async () => {
    const legal = {
      subject: 'Final warning',
      text: 'My lawyer will take legal action unless you refund me this week.',
    };
    // A duplicate goes into a complaint of the same customer: one customer writes twice.
    const run = `${process.pid}.${Date.now().toString(36)}`;
    const twice = `twice.${run}@example.org`;
    const senders = [...[1, 2, 3, 4, 5].map((i) => `tier3-${i}.${run}@example.org`), twice, twice];
    const tier3 = await openComplaints(t.stack, 7, 45_000, legal, senders);
    expect(tier3.map((c) => c.tier)).toEqual([3, 3, 3, 3, 3, 3, 3]);
    const [target, merged] = tier3.filter((c) => c.customerEmail === twice).map((c) => c.id) as [
      string,
      string,
    ];
    const [a, approval, info, escalation, closed] = tier3
      .filter((c) => c.customerEmail !== twice)
      .map((c) => c.id) as [string, string, string, string, string];
    const refund = (amount: number) => ({
      type: 'refund',
      amount,
      summary: 'Refunded.',
      rootCause: 'carrier_delay',
    });

    const steps: {
      route: RouteName;
      id: string;
      body: unknown;
      by: AgentRole;
      expected: number;
      before?: string;
    }[] = [
      { route: 'claimComplaint', id: a, body: {}, by: 'tier3', expected: 200 },
      { route: 'replyToCustomer', id: a, body: { text: 'We are on it.' }, by: 'tier3', expected: 201 },
      { route: 'addNote', id: a, body: { text: 'Legal informed.' }, by: 'manager', expected: 201 },
      { route: 'proposeResolution', id: a, body: refund(50), by: 'tier3', expected: 202 },
      {
        route: 'recordFollowUp',
        id: a,
        body: { outcome: 'satisfied' },
        by: 'tier3',
        expected: 202,
        before: 'follow_up',
      },
      { route: 'proposeResolution', id: approval, body: refund(20_000), by: 'tier3', expected: 202 },
      {
        route: 'decideApproval',
        id: approval,
        body: { decision: 'approve' },
        by: 'manager',
        expected: 202,
        before: 'approval',
      },
      {
        route: 'requestInfo',
        id: info,
        body: { question: 'Your order number?' },
        by: 'manager',
        expected: 202,
      },
      { route: 'escalate', id: escalation, body: { reason: 'Board level.' }, by: 'tier3', expected: 202 },
      { route: 'mergeComplaint', id: merged, body: { into: target }, by: 'tier3', expected: 202 },
      { route: 'closeComplaint', id: closed, body: { reason: 'withdrawn' }, by: 'manager', expected: 202 },
    ];
    expect(new Set(steps.map((s) => s.route))).toEqual(new Set(writeRoutes));

    for (const step of steps) {
      await until(step.id, step.before ?? 'agent');
      const { etag: before } = await read(step.id);
      for (const role of ['tier1', 'tier2'] as const) {
        const res = await write(step.route, step.id, role, step.body);
        expect(res.status, `${step.route} as ${role}: ${JSON.stringify(res.body)}`).toBe(403);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.body.status).toBe(403);
      }
      expect((await read(step.id)).etag, `${step.route}: the refused writes changed nothing`).toBe(before);
      const res = await write(step.route, step.id, step.by, step.body);
      expect(res.status, `${step.route} as ${step.by}: ${JSON.stringify(res.body)}`).toBe(step.expected);
    }

    // Merging a tier-1 complaint into a tier-3 one writes to the tier-3 one: the same rule.
    expect((await write('mergeComplaint', complaint.id, 'tier1', { into: target })).status).toBe(403);
    const duplicate = { reason: 'duplicate', mergedInto: target };
    expect((await write('closeComplaint', complaint.id, 'tier1', duplicate)).status).toBe(403);
  }, 120_000);
});

/**
 * Forged and confused requests that get past the authorizer, or that it cannot judge: each is refused
 * by the function with the right 4xx, leaks no internals, and changes nothing.
 */
describe('forged and confused requests at the function', () => {
  it('refuses an ID token: 403 at the authorizer without the scope, 401 at the function with it', async () => {
    const route = apiRoutes.getMe as RouteSpec;
    // What Cognito issues: `aud` names the client, no `scope`, `token_use: id`, the groups alike.
    const idToken = await sign(devKey, {
      token_use: 'id',
      aud: clientId,
      client_id: undefined,
      scope: undefined,
    });
    expect((await call(route, idToken)).status).toBe(403);
    const scoped = await sign(devKey, { token_use: 'id' });
    const res = await call(route, scoped);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await call(route, await sign(devKey, { token_use: undefined }))).status).toBe(401);
  });

  it('never lets an agent approve their own proposal, even with a higher role since', async () => {
    const [c] = (await openComplaints(t.stack, 1)) as [ComplaintView];
    const agent = (role: AgentRole) => sign(devKey, { 'cognito:groups': [role], sub: 'promoted-agent' });
    const post = async (route: RouteName, token: string, body: unknown) =>
      api<{ detail?: string }>(t.stack.endpoints, 'POST', apiRoutes[route].path.replace('{id}', c.id), {
        token,
        headers: { 'if-match': (await read(c.id)).etag },
        body,
      });
    const refund = { type: 'refund', amount: 150, summary: 'Refunded.', rootCause: 'carrier_delay' };
    expect((await post('proposeResolution', await agent('tier1'), refund)).status).toBe(202);
    await until(c.id, 'approval');
    const { etag: before } = await read(c.id);
    const own = await post('decideApproval', await agent('tier2'), { decision: 'approve' });
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/own proposal/);
    expect((await read(c.id)).etag).toBe(before);
    const other = await post('decideApproval', t.stack.endpoints.tokens.tier2, { decision: 'approve' });
    expect(other.status).toBe(202);
  });

  it('answers bodies of the wrong type, prototype keys and deep nesting with a 4xx problem, changing nothing', async () => {
    const { etag: before } = await read(complaint.id);
    const post = (body: string, contentType?: string) =>
      fetch(`${t.stack.endpoints.api.url}/complaints/${complaint.id}/notes`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.stack.endpoints.tokens.manager}`,
          'if-match': before,
          ...(contentType ? { 'content-type': contentType } : {}),
        },
        body,
      });
    const note = JSON.stringify({ text: 'A note.' });
    const cases: [string, string, string | undefined, number][] = [
      ['JSON as text/plain', note, 'text/plain', 415],
      ['JSON as a form', note, 'application/x-www-form-urlencoded', 415],
      ['a form', 'text=A+note.', 'application/x-www-form-urlencoded', 415],
      [
        'UTF-16 JSON',
        Buffer.from(note, 'utf16le').toString('latin1'),
        'application/json; charset=utf-16',
        415,
      ],
      ['__proto__ key', '{"text":"A note.","__proto__":{"role":"manager"}}', 'application/json', 400],
      ['constructor key', '{"text":"A note.","constructor":{"prototype":{"x":1}}}', 'application/json', 400],
      ['__proto__ only', '{"__proto__":{"text":"A note."}}', 'application/json', 400],
      [
        '100,000 levels deep',
        `{"text":"A note.","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        'application/json',
        400,
      ],
      ['a text nested deep', `${'{"text":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`, 'application/json', 400],
      ['BOM before the JSON', `\uFEFF${note}`, 'application/json', 400],
    ];
    for (const [name, body, type, expected] of cases) {
      const res = await post(body, type);
      const text = await res.text();
      expect(res.status, `${name}: ${text.slice(0, 200)}`).toBe(expected);
      expect(res.headers.get('content-type'), name).toBe('application/problem+json');
      expect(text, name).not.toMatch(/at .*\.(ts|js|mjs):\d+|Error:|node_modules/);
    }
    expect((await read(complaint.id)).etag, 'nothing was written').toBe(before);
  });

  it('finds no other customer’s complaints through wildcards or injections in the list filters', async () => {
    for (const query of [
      'customer=*',
      'customer=%25',
      'customer=*%40example.org',
      `customer=${encodeURIComponent(`${complaint.customerEmail}' OR '1'='1`)}`,
      `customer=${encodeURIComponent(complaint.customerEmail.slice(0, -1))}`,
      'reference=CMP-*',
      'reference=*',
      `reference=${encodeURIComponent('{"$ne":null}')}`,
      'assignee=*',
      'queue=*',
    ]) {
      const res = await api<{ items?: ComplaintView[] }>(t.stack.endpoints, 'GET', `/complaints?${query}`, {
        token: t.stack.endpoints.tokens.tier1,
      });
      expect([200, 400], query).toContain(res.status);
      if (res.status === 200) expect(res.body.items, query).toEqual([]);
    }
  });

  it('answers forged survey links with the invalid-link page, never a complaint', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = { sub: complaint.id, aud: 'complaints-survey', exp: Math.floor(Date.now() / 1000) + 3600 };
    const forged = {
      'alg none': `${b64({ alg: 'none' })}.${b64(claims)}.`,
      'HS256 with another key': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('not-the-signing-key-of-the-stack')),
      // Signed by the identity's key: a valid agent token is no survey link.
      'an agent token': t.stack.endpoints.tokens.manager,
      'a page cursor': 'eyJQSyI6IkNPTVBMQUlOVCN4In0.AAAAAAAAAAAAAAAAAAAAAA',
    };
    for (const [name, token] of Object.entries(forged)) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${t.stack.endpoints.api.url}/survey/${token}?answer=unsatisfied`, {
          method,
          ...(method === 'POST'
            ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'answer=unsatisfied' }
            : {}),
        });
        const page = await res.text();
        expect(res.status, `${method} ${name}`).toBe(400);
        expect(page, name).not.toContain(complaint.id);
      }
    }
  });
});
