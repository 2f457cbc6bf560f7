import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, apiScope, type RouteSpec } from '../../functions/api/routes';
import { type AgentRole, agentRoles } from '../../functions/core/policy';
import { api } from '../../scripts/local/localStackClient';
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
  t = await startApiTestStack('api-security');
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
