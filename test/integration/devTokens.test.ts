import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevIdentityProvider, devIdentityProvider } from '../../scripts/local/devTokens';

/** The local identity provider checks a token's signature once, and its lifetime on every request. */
let dir: string;
let idp: DevIdentityProvider;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-tokens-'));
  idp = await devIdentityProvider(join(dir, 'dev-idp.json'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

describe('devIdentityProvider.verify', () => {
  it('refuses a token it accepted before once the token has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await idp.sign({ sub: 'dev-tier1', role: 'tier1' }, 60);
    await expect(idp.verify(token)).resolves.toMatchObject({ sub: 'dev-tier1' });
    await expect(idp.verify(token)).resolves.toMatchObject({ sub: 'dev-tier1' });
    vi.setSystemTime(Date.now() + 61_000);
    await expect(idp.verify(token)).rejects.toThrow();
  });

  it('takes the key by the kid of the token, as API Gateway does from the key set of the issuer', async () => {
    // Signed with the provider's own key, but naming another key or none: refused, as on AWS.
    const { privateJwk } = JSON.parse(await readFile(join(dir, 'dev-idp.json'), 'utf8'));
    const key = await importJWK(privateJwk, 'ES256');
    const signed = (header: { alg: string; kid?: string }) =>
      new SignJWT({ client_id: idp.clientId, scope: 'x' })
        .setProtectedHeader(header)
        .setSubject('dev-tier1')
        .setIssuer(idp.issuer)
        .setExpirationTime('1h')
        .sign(key);
    await expect(idp.verify(await signed({ alg: 'ES256', kid: 'local' }))).resolves.toMatchObject({
      sub: 'dev-tier1',
    });
    await expect(idp.verify(await signed({ alg: 'ES256', kid: 'other' }))).rejects.toThrow();
    await expect(idp.verify(await signed({ alg: 'ES256' }))).rejects.toThrow();
  });

  it('checks the signature of a token that differs from an accepted one', async () => {
    const token = await idp.sign({ sub: 'dev-tier2', role: 'tier2' });
    await idp.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(idp.verify(forged)).rejects.toThrow();
  });
});
