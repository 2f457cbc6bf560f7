import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleContentSecurityPolicy, consoleHeaders } from '../../infra/consoleSecurityHeaders';
import { startLocalConsole } from '../../scripts/local/consoleServer';
import { devIdentityProvider } from '../../scripts/local/devTokens';

/** The local console server answers as CloudFront does, client mistakes included. */
let dir: string;
let server: Awaited<ReturnType<typeof startLocalConsole>>;
let identity: Awaited<ReturnType<typeof devIdentityProvider>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-console-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  identity = await devIdentityProvider(join(dir, 'dev-idp.json'));
  server = await startLocalConsole({
    dir,
    identity,
    apiUrl: () => 'http://127.0.0.1:1',
    mailDomain: 'support.localhost',
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the local console server', () => {
  it('answers a path with a malformed percent-encoding 400, and app routes with the app', async () => {
    expect((await fetch(`${server.url}/complaints/%E0%A4%A`)).status).toBe(400);
    const app = await fetch(`${server.url}/complaints/abc`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('<title>console</title>');
  });

  it('sends the security headers CloudFront sends, its CSP naming the local API', async () => {
    const answers = await Promise.all(
      ['/', '/complaints/abc', '/config.json', '/assets/missing.js', '/dev-sign-in/authorize?x=1'].map(
        async (path) => [path, await fetch(`${server.url}${path}`)] as const,
      ),
    );
    for (const [path, res] of answers) {
      for (const [name, value] of Object.entries(consoleHeaders)) {
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      }
      if (!path.startsWith('/dev-sign-in/')) {
        expect(res.headers.get('content-security-policy'), path).toBe(
          consoleContentSecurityPolicy(['http://127.0.0.1:1']),
        );
      }
    }
  });

  it('gives the sign-in stand-in a policy of its own: its one inline style by hash, never framed', async () => {
    const params = new URLSearchParams({
      client_id: identity.clientId,
      redirect_uri: `${server.url}/callback`,
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    const page = await fetch(`${server.url}/dev-sign-in/authorize?${params}`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    const style = /<style>([^<]*)<\/style>/.exec(await page.text())?.[1] ?? '';
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  /** Signs in as `role` through the authorization endpoint and the code grant, as the console does. */
  async function signIn(role = 'tier1') {
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = `${server.url}/callback`;
    const authorized = await fetch(`${server.url}/dev-sign-in/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        role,
        client_id: identity.clientId,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        response_type: 'code',
      }),
    });
    const code = new URL(authorized.headers.get('location') as string).searchParams.get('code') as string;
    return token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
  }
  const token = async (form: Record<string, string>) => {
    const res = await fetch(`${server.url}/dev-sign-in/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: identity.clientId, ...form }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string | number> };
  };
  const revoke = (form: Record<string, string>) =>
    fetch(`${server.url}/dev-sign-in/revoke`, { method: 'POST', body: new URLSearchParams(form) });

  it('hands out a 15-minute access token and a refresh token, which gets new access tokens', async () => {
    const signedIn = await signIn('tier2');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const refreshToken = signedIn.body.refresh_token as string;
    expect(refreshToken).toMatch(/^[\w-]{43}$/);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    // As Cognito without rotation: the refresh token stays the same and is not sent again.
    expect(refreshed.body.refresh_token).toBeUndefined();
    const claims = await identity.verify(refreshed.body.access_token as string);
    expect(claims).toMatchObject({ sub: 'dev-tier2', 'cognito:groups': ['tier2'], token_use: 'access' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('refuses an unknown refresh token, another client’s, and one that was revoked', async () => {
    const refreshToken = (await signIn()).body.refresh_token as string;
    const refresh = (form: Record<string, string> = {}) =>
      token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...form });
    expect(await token({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await token({ grant_type: 'refresh_token' })).toMatchObject({ status: 400 });
    expect(await refresh({ client_id: 'another-client' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_client' },
    });
    expect((await refresh()).status).toBe(200);
    // Revoked only by its own client, with the token in the body.
    expect((await revoke({ token: refreshToken, client_id: 'another-client' })).status).toBe(400);
    expect((await revoke({ client_id: identity.clientId })).status).toBe(400);
    expect((await refresh()).status).toBe(200);
    expect((await revoke({ token: refreshToken, client_id: identity.clientId })).status).toBe(200);
    expect(await refresh()).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Revoking again, or a token never issued, answers the same: nobody learns whether it was live.
    expect((await revoke({ token: refreshToken, client_id: identity.clientId })).status).toBe(200);
    expect((await revoke({ token: 'never-issued', client_id: identity.clientId })).status).toBe(200);
    // A refresh token is no authorization code, and a code is no refresh token.
    expect(
      await token({
        grant_type: 'authorization_code',
        code: refreshToken,
        redirect_uri: `${server.url}/callback`,
      }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('names the revocation endpoint in /config.json beside the token endpoint', async () => {
    const config = (await (await fetch(`${server.url}/config.json`)).json()) as {
      auth: Record<string, string>;
    };
    expect(config.auth.revokeUrl).toBe(`${server.url}/dev-sign-in/revoke`);
  });
});
