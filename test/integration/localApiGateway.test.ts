import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
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

  it('routes the path as sent: dot segments, case, trailing dots and doubled slashes name no route', async () => {
    const before = seen.length;
    for (const path of [
      '/complaints/../me',
      '/complaints/./abc',
      '/me/..',
      '/complaints/%2e%2e/me',
      '/Complaints',
      '/ME',
      '/complaints.',
      '/me.',
      '/complaints/abc/claim/..',
      '/%2Fcomplaints',
    ]) {
      const answer = await raw(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.split('\r\n')[0], path).toBe('HTTP/1.1 404 Not Found');
    }
    expect(seen.length).toBe(before);
    // An encoded slash stays inside its parameter: the function gets `abc/claim` as the id and judges it.
    const encoded = await fetch(`${gateway.url}/complaints/abc%2Fclaim`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(encoded.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({
      routeKey: 'GET /complaints/{id}',
      pathParameters: { id: 'abc/claim' },
    });
  });

  it('answers methods no route names 404, before any function runs', async () => {
    const before = seen.length;
    for (const method of ['HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(
        `${method} /complaints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.split('\r\n')[0], method).toMatch(/^HTTP\/1\.1 (404|400)/);
    }
    expect(seen.length).toBe(before);
  });

  it('joins repeated headers with commas as API Gateway does: two bearer tokens are no token (401)', async () => {
    const before = seen.length;
    const two = await raw(
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(two.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(seen.length).toBe(before);
    // One token, with or without `Bearer`, is what API Gateway takes from the identity source.
    for (const auth of [`Bearer ${token}`, `bearer ${token}`, token]) {
      expect((await fetch(`${gateway.url}/me`, { headers: { authorization: auth } })).status, auth).toBe(200);
    }
    for (const auth of ['Bearer', `Bearer ${token} ${token}`, `Basic ${token}`, '']) {
      expect((await fetch(`${gateway.url}/me`, { headers: { authorization: auth } })).status, auth).toBe(401);
    }
    const body = '{"text":"x"}';
    const posted = await raw(
      `POST /complaints/abc/notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nIf-Match: "3"\r\nIf-Match: "4"\r\n` +
        `Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(posted.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    // The function sees both values of each, and judges them (a list of versions, two types: 400, 415).
    expect(seen.at(-1)?.headers).toMatchObject({
      'if-match': '"3","4"',
      'content-type': 'application/json,text/plain',
    });
  });

  it('refuses smuggling-shaped framing and oversized headers before any function runs', async () => {
    const before = seen.length;
    const auth = `Authorization: Bearer ${token}\r\n`;
    const answers = {
      'Content-Length and Transfer-Encoding': await raw(
        `POST /complaints/abc/notes HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /me HTTP/1.1\r\nHost: x\r\n\r\n`,
      ),
      'two Content-Lengths': await raw(
        `POST /complaints/abc/notes HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nContent-Length: 12\r\n\r\n{}`,
      ),
      'a 20 KB token': await raw(
        `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      ),
    };
    expect(answers['Content-Length and Transfer-Encoding'].split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answers['two Content-Lengths'].split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answers['a 20 KB token'].split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(seen.length).toBe(before);
  });

  it('refuses a body over HTTP API’s 10 MB payload limit (413)', async () => {
    const before = seen.length;
    const answer = await fetch(`${gateway.url}/complaints/abc/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: `{"text":"${'x'.repeat(10 * 1024 * 1024)}"}`,
    });
    expect(answer.status).toBe(413);
    expect(seen.length).toBe(before);
  });
});

/** One request written on a socket as given (fetch would normalise the path and refuse the framing). */
function raw(request: string): Promise<string> {
  const { hostname, port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', (e) => (answer ? resolve(answer) : reject(e)));
  });
}
