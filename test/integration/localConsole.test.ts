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
});
