import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHandler, startLocalApiGateway } from '../../scripts/local/apiGateway';
import { devIdentityProvider } from '../../scripts/local/devTokens';

/** The local gateway hands the Lambda the event API Gateway would: here, its query parameters. */
let dir: string;
let gateway: Awaited<ReturnType<typeof startLocalApiGateway>>;
let token: string;
const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-gateway-'));
  const identity = await devIdentityProvider(join(dir, 'dev-idp.json'));
  token = await identity.sign({ sub: 'dev-tier1', role: 'tier1' });
  const handler: ApiHandler = async (event) => {
    seen.push(event);
    return { statusCode: 200, body: '{}' };
  };
  gateway = await startLocalApiGateway({ handlers: { api: handler, apiDocs: handler }, identity });
});
afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the local API gateway', () => {
  it('passes every query parameter as a key of its own, `__proto__` and `constructor` included', async () => {
    const answer = await fetch(`${gateway.url}/complaints?__proto__=x&constructor=y&limit=1&limit=2`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(200);
    // What API Gateway sends is JSON: a key named `__proto__` is an own key there (the handler's strict
    // schema refuses it as unknown), not a prototype an object literal would silently drop.
    const query = JSON.parse(JSON.stringify(seen.at(-1)?.queryStringParameters));
    expect(Object.keys(query).sort()).toEqual(['__proto__', 'constructor', 'limit']);
    expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toBe('x');
    expect(query).toMatchObject({ constructor: 'y', limit: '1,2' });
  });

  it('matches a route’s path exactly, as HTTP API does: a trailing slash is no route (404 Not Found)', async () => {
    const get = (path: string) =>
      fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const before = seen.length;
    for (const path of [
      '/complaints/',
      '/me/',
      '/complaints/abc/',
      '/openapi.json/',
      '/complaints//',
      '//complaints',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(await answer.json(), path).toEqual({ message: 'Not Found' });
    }
    const posted = await fetch(`${gateway.url}/complaints/abc/notes/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"text":"x","version":1}',
    });
    expect(posted.status).toBe(404);
    // Nothing reached the function; the same paths without the slash do.
    expect(seen.length).toBe(before);
    for (const path of ['/complaints', '/me', '/complaints/abc', '/openapi.json']) {
      expect((await get(path)).status, path).toBe(200);
    }
    expect(seen.map((e) => e.routeKey).slice(before)).toEqual([
      'GET /complaints',
      'GET /me',
      'GET /complaints/{id}',
      'GET /openapi.json',
    ]);
  });
});
