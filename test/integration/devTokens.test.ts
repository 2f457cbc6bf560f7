import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
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

  /** A token signed with the provider's own key: only the claims an attacker could not set are bent. */
  const signedByProvider = async (claims: JWTPayload) => {
    const { privateJwk } = JSON.parse(await readFile(join(dir, 'dev-idp.json'), 'utf8'));
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: idp.clientId, scope: 'complaints/agent', token_use: 'access', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'local' })
      .setSubject('dev-tier1')
      .setIssuer(idp.issuer)
      .setIssuedAt(claims.iat ?? now - 60)
      .setExpirationTime(now + 3600)
      .sign(await importJWK(privateJwk, 'ES256'));
  };
  const b64 = (value: unknown) =>
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

  it('refuses forged tokens: alg none, HS256 keyed with the public key, edited claims, a repeated alg', async () => {
    const token = await idp.sign({ sub: 'dev-tier1', role: 'tier1' });
    await idp.verify(token);
    const [, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const { publicJwk } = JSON.parse(await readFile(join(dir, 'dev-idp.json'), 'utf8'));
    const forgeries: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', kid: 'local' })}.${payload}.`,
      'alg none with the signature': `${b64({ alg: 'none', kid: 'local' })}.${payload}.${signature}`,
      // The classic key confusion: the verifier's public key used as an HMAC secret.
      'HS256 with the public JWK': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'local' })
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
      'HS256 with the public x coordinate': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'local' })
        .sign(Buffer.from(publicJwk.x, 'base64url')),
      'groups raised, signature kept': `${token.split('.')[0]}.${b64({ ...claims, 'cognito:groups': ['manager'] })}.${signature}`,
      'groups repeated in the text, signature kept': `${token.split('.')[0]}.${b64(
        `${JSON.stringify(claims).slice(0, -1)},"cognito:groups":["manager"]}`,
      )}.${signature}`,
      'alg repeated as none': `${b64('{"alg":"ES256","kid":"local","alg":"none"}')}.${payload}.`,
      'no signature part': `${token.split('.')[0]}.${payload}`,
      'JWE-shaped': `${b64({ alg: 'dir', enc: 'A128GCM', kid: 'local' })}..AAAA.${payload}.AAAA`,
    };
    for (const [name, forged] of Object.entries(forgeries)) {
      await expect(idp.verify(forged), name).rejects.toThrow();
    }
  });

  it('judges the audience as API Gateway does: `aud` when the token has one, else `client_id`', async () => {
    await expect(idp.verify(await signedByProvider({}))).resolves.toBeTruthy();
    // Another client's token (an ID token names its client in `aud`) that also carries ours in client_id.
    await expect(idp.verify(await signedByProvider({ aud: 'another-client' }))).rejects.toThrow();
    await expect(idp.verify(await signedByProvider({ aud: ['another-client'] }))).rejects.toThrow();
    await expect(idp.verify(await signedByProvider({ client_id: 'another-client' }))).rejects.toThrow();
    await expect(
      idp.verify(await signedByProvider({ client_id: undefined, aud: idp.clientId })),
    ).resolves.toBeTruthy();
  });

  it('refuses a token not yet valid or issued in the future, on every request', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(idp.verify(await signedByProvider({ nbf: now + 600 }))).rejects.toThrow(/not yet valid|nbf/);
    await expect(idp.verify(await signedByProvider({ iat: now + 600 }))).rejects.toThrow(/future/);
    // Accepted once, then met again after a clock step back (the cached path checks the same).
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await signedByProvider({ iat: now });
    await idp.verify(token);
    vi.setSystemTime((now - 120) * 1000);
    await expect(idp.verify(token)).rejects.toThrow(/future/);
  });
});
