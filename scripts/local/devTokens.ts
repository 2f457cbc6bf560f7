import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { apiScope } from '../../functions/api/routes';
import type { AgentRole } from '../../functions/core/policy';
import { RecentMap } from './recentMap';

/**
 * Local stand-in for Cognito: an ES256 key pair kept under the data folder signs dev tokens with the
 * claims a Cognito access token carries (sub, cognito:groups, scope, client_id, token_use), plus email.
 */
export interface DevIdentityProvider {
  issuer: string;
  clientId: string;
  sign(claims: { sub: string; role: AgentRole; email?: string }, ttlSeconds?: number): Promise<string>;
  /** Verifies like API Gateway's JWT authorizer: signature, issuer, expiry, audience or client_id. */
  verify(token: string): Promise<JWTPayload>;
}

const alg = 'ES256';
// The key's id in the provider's key set: API Gateway takes a token's key from the issuer's JWKS by
// its `kid`, so a token naming another key, or none, is refused as there.
const kid = 'local';

export async function devIdentityProvider(
  keyFile: string,
  issuer = 'http://localhost/dev-idp',
): Promise<DevIdentityProvider> {
  let stored: { privateJwk: JWK; publicJwk: JWK; clientId: string };
  if (existsSync(keyFile)) {
    stored = JSON.parse(await readFile(keyFile, 'utf8'));
  } else {
    const pair = await generateKeyPair(alg, { extractable: true });
    stored = {
      privateJwk: await exportJWK(pair.privateKey),
      publicJwk: await exportJWK(pair.publicKey),
      clientId: `local-${Math.random().toString(36).slice(2, 10)}`,
    };
    await mkdir(dirname(keyFile), { recursive: true });
    await writeFile(keyFile, JSON.stringify(stored), { mode: 0o600 });
  }
  const privateKey = await importJWK(stored.privateJwk, alg);
  const keySet = createLocalJWKSet({ keys: [{ ...stored.publicJwk, kid, alg }] });
  const { clientId } = stored;
  // A token is the same bytes on every request of a session: its signature (an ECDSA verification,
  // about a millisecond of the gateway's CPU) is checked once, its time claims on every request.
  const verified = new RecentMap<string, JWTPayload>(1_000);
  return {
    issuer,
    clientId,
    async sign({ sub, role, email }, ttlSeconds = 12 * 3600) {
      return new SignJWT({
        'cognito:groups': [role],
        scope: apiScope,
        client_id: clientId,
        token_use: 'access',
        username: sub,
        ...(email ? { email } : {}),
      })
        .setProtectedHeader({ alg, kid })
        .setSubject(sub)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) return stillValid(known);
      const { payload, protectedHeader } = await jwtVerify(token, keySet, { issuer, algorithms: [alg] });
      if (protectedHeader.kid !== kid) throw new Error('token names no key of the issuer');
      // API Gateway takes a token whose `aud` is a configured audience, or whose `client_id` is when it
      // has no `aud` (a Cognito access token): a token with both is judged by its `aud` alone.
      const audiences = [payload.aud ?? payload.client_id].flat();
      if (!audiences.includes(clientId)) throw new Error('token audience does not match');
      verified.set(token, stillValid(payload));
      return payload;
    },
  };
}

/**
 * The time checks API Gateway makes (no clock tolerance), on every request: `exp` after now, `nbf` and
 * `iat` not after it. `jwtVerify` checks the first two, and `iat` only against a maximum age; a token
 * issued in the future is one no clock of the issuer made.
 */
function stillValid(payload: JWTPayload): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  if (payload.exp !== undefined && payload.exp <= now) throw new Error('token expired');
  if (payload.nbf !== undefined && payload.nbf > now) throw new Error('token not yet valid');
  if (payload.iat !== undefined && payload.iat > now) throw new Error('token issued in the future');
  return payload;
}
