import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalConsole } from '../../scripts/local/consoleServer';
import { devIdentityProvider } from '../../scripts/local/devTokens';

/** The local console server answers as CloudFront does, client mistakes included. */
let dir: string;
let server: Awaited<ReturnType<typeof startLocalConsole>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-console-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  server = await startLocalConsole({
    dir,
    identity: await devIdentityProvider(join(dir, 'dev-idp.json')),
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
});
