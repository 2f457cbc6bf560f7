import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { apiScope } from '../../functions/api/routes';
import { type AgentRole, agentRoles } from '../../functions/core/policy';
import { consoleContentSecurityPolicy, consoleHeaders } from '../../infra/consoleSecurityHeaders';
import type { DevIdentityProvider } from './devTokens';

export interface LocalConsoleOptions {
  /** The built console (`console/dist`). */
  dir: string;
  identity: DevIdentityProvider;
  /** The API's URL, known once the gateway listens. */
  apiUrl: () => string;
  mailDomain: string;
  host?: string;
  port?: number;
  /** Lifetime of the access tokens the sign-in hands out (the app client's: 15 minutes). */
  sessionSeconds?: number;
  /** Lifetime of the refresh tokens, from sign-in (the app client's: 12 hours). */
  refreshSeconds?: number;
}

/** The app client's token lifetimes (infra/constructs/AgentApi.ts), which the stand-in gives too. */
export const accessTokenSeconds = 15 * 60;
export const refreshTokenSeconds = 12 * 3600;

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The local sign-in page's one style, allowed by its hash (the page has no other inline content). */
const signInStyle = `body{font-family:system-ui,sans-serif;max-width:420px;margin:10vh auto;color:#1b1f24}
button{display:block;width:100%;margin:8px 0;padding:10px;font:inherit;background:#0b57d0;color:#fff;border:0;border-radius:4px}`;
/**
 * The sign-in stand-in is Cognito's hosted UI, another origin on AWS with a policy of its own: nothing
 * loads but its style, its form posts only to itself, and it is never framed.
 */
const signInPolicy = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(signInStyle).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 16_384) break;
  }
  return new URLSearchParams(raw);
}

/**
 * Serves the built console the way CloudFront does on AWS (files, index.html for every app route,
 * `/config.json` naming the API and the sign-in endpoints) plus the local stand-in for Cognito's hosted
 * UI: an OAuth 2.0 authorization endpoint that lets one pick a dev identity (tier1, tier2, tier3,
 * manager) and a token endpoint that checks PKCE, so the console signs in exactly as it does on AWS.
 */
export async function startLocalConsole(options: LocalConsoleOptions) {
  let port = options.port ?? 0;
  const codes = new Map<
    string,
    { role: AgentRole; challenge: string; redirectUri: string; expires: number }
  >();
  // Refresh tokens, as Cognito keeps them: opaque, bound to the client, valid until their expiry or
  // their revocation (`/revoke`, the console's sign-out). Held in memory: a restarted stack forgets
  // them, and the console signs in again, as after an expired refresh token.
  const refreshTokens = new Map<string, { role: AgentRole; expires: number }>();
  // The origin the browser used (127.0.0.1 or localhost): redirects and endpoints stay on it.
  const originOf = (req: IncomingMessage) => `http://${req.headers.host ?? `127.0.0.1:${port}`}`;
  const config = (origin: string) => ({
    apiUrl: options.apiUrl(),
    auth: {
      issuer: options.identity.issuer,
      authorizeUrl: `${origin}/dev-sign-in/authorize`,
      tokenUrl: `${origin}/dev-sign-in/token`,
      revokeUrl: `${origin}/dev-sign-in/revoke`,
      logoutUrl: `${origin}/dev-sign-in/logout`,
      clientId: options.identity.clientId,
      scope: apiScope,
    },
  });
  // What CloudFront's response headers policy adds on AWS (infra/consoleSecurityHeaders.ts, one
  // definition for both), on every answer; the CSP's connect-src names the local API (plain HTTP).
  const securityHeaders = () => ({
    ...consoleHeaders,
    'content-security-policy': consoleContentSecurityPolicy(
      URL.canParse(options.apiUrl()) ? [new URL(options.apiUrl()).origin] : [],
    ),
  });
  const send = (
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    headers: Record<string, string>,
  ) => {
    res.writeHead(status, { ...securityHeaders(), ...headers });
    res.end(body);
  };
  const oauthError = (res: ServerResponse, error: string, description: string) =>
    send(res, 400, JSON.stringify({ error, error_description: description }), {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    });
  // Redirect URIs must be the console's own (Cognito: the app client's callback URLs).
  const ownUrl = (value: string | null, origin: string) => {
    try {
      return value !== null && new URL(value).origin === origin;
    } catch {
      return false;
    }
  };

  const authorizePage = (params: URLSearchParams) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local sign-in</title>
<style>${signInStyle}</style>
</head><body><main><h1>Local sign-in</h1>
<p>The local stack stands in for the Cognito hosted UI: choose the identity to act as.</p>
<form method="post" action="/dev-sign-in/authorize">
${[...params].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n')}
${agentRoles.map((r) => `<button type="submit" name="role" value="${r}">${r} (dev-${r}@${escapeHtml(options.mailDomain)})</button>`).join('\n')}
</form></main></body></html>`;

  const tokenAnswer = async (res: ServerResponse, role: AgentRole, refreshToken?: string) => {
    const expiresIn = options.sessionSeconds ?? accessTokenSeconds;
    const accessToken = await options.identity.sign(
      { sub: `dev-${role}`, role, email: `${role}@${options.mailDomain}` },
      expiresIn,
    );
    return send(
      res,
      200,
      JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
      }),
      { 'content-type': 'application/json', 'cache-control': 'no-store' },
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const origin = originOf(req);
    if (route === 'GET /config.json') {
      return send(res, 200, JSON.stringify(config(origin)), {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
    }
    if (route === 'GET /dev-sign-in/authorize') {
      const p = url.searchParams;
      if (p.get('client_id') !== options.identity.clientId)
        return oauthError(res, 'invalid_client', 'unknown client');
      if (!ownUrl(p.get('redirect_uri'), origin))
        return oauthError(res, 'invalid_request', 'redirect_uri not allowed');
      if (
        p.get('response_type') !== 'code' ||
        p.get('code_challenge_method') !== 'S256' ||
        !p.get('code_challenge')
      ) {
        return oauthError(res, 'invalid_request', 'authorization code with PKCE (S256) only');
      }
      return send(res, 200, authorizePage(p), {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': signInPolicy,
      });
    }
    if (route === 'POST /dev-sign-in/authorize') {
      const p = await formBody(req);
      const role = p.get('role') as AgentRole;
      const redirectUri = p.get('redirect_uri');
      if (
        !agentRoles.includes(role) ||
        !ownUrl(redirectUri, origin) ||
        p.get('client_id') !== options.identity.clientId
      ) {
        return oauthError(res, 'invalid_request', 'unknown role, client or redirect_uri');
      }
      const code = randomBytes(24).toString('base64url');
      codes.set(code, {
        role,
        challenge: p.get('code_challenge') ?? '',
        redirectUri: redirectUri as string,
        expires: Date.now() + 60_000,
      });
      const back = new URL(redirectUri as string);
      back.searchParams.set('code', code);
      if (p.get('state')) back.searchParams.set('state', p.get('state') as string);
      return send(res, 303, '', { location: back.href });
    }
    if (route === 'POST /dev-sign-in/token') {
      const p = await formBody(req);
      if (p.get('client_id') !== options.identity.clientId)
        return oauthError(res, 'invalid_client', 'unknown client');
      const grantType = p.get('grant_type');
      if (grantType === 'refresh_token') {
        // As Cognito without refresh-token rotation: a new access token, the refresh token unchanged
        // (and not handed back), refused once expired or revoked.
        const held = refreshTokens.get(p.get('refresh_token') ?? '');
        if (!held || held.expires <= Date.now()) {
          return oauthError(res, 'invalid_grant', 'unknown, expired or revoked refresh token');
        }
        return tokenAnswer(res, held.role);
      }
      const grant = codes.get(p.get('code') ?? '');
      codes.delete(p.get('code') ?? '');
      const verifier = p.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (
        grantType !== 'authorization_code' ||
        !grant ||
        grant.expires < Date.now() ||
        grant.redirectUri !== p.get('redirect_uri') ||
        grant.challenge !== challenge
      ) {
        return oauthError(res, 'invalid_grant', 'unknown, used or expired code, or a wrong code_verifier');
      }
      const refreshToken = randomBytes(32).toString('base64url');
      refreshTokens.set(refreshToken, {
        role: grant.role,
        expires: Date.now() + (options.refreshSeconds ?? refreshTokenSeconds) * 1000,
      });
      return tokenAnswer(res, grant.role, refreshToken);
    }
    // RFC 7009 as Cognito's `/oauth2/revoke` answers it for a public client: the refresh token named
    // (and the client's, only) is ended; an unknown or already revoked one is 200 as well, so the
    // answer tells nobody whether a token was live. A form post, never a token in the address.
    if (route === 'POST /dev-sign-in/revoke') {
      const p = await formBody(req);
      if (p.get('client_id') !== options.identity.clientId)
        return oauthError(res, 'invalid_client', 'unknown client');
      const token = p.get('token');
      if (!token) return oauthError(res, 'invalid_request', 'token is required');
      refreshTokens.delete(token);
      return send(res, 200, '', { 'cache-control': 'no-store' });
    }
    if (route === 'GET /dev-sign-in/logout') {
      const back = url.searchParams.get('logout_uri');
      return send(res, 302, '', { location: ownUrl(back, origin) ? (back as string) : `${origin}/` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '', {});

    // Files of the build; any other path is an app route (CloudFront answers those with index.html too).
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      // A malformed percent-encoding is the client's mistake, not a fault of the server (it was a 500).
      return send(res, 400, 'Bad Request', { 'content-type': 'text/plain' });
    }
    const path = normalize(decoded).replace(/^(\.\.[/\\])+/, '');
    const file = join(options.dir, path);
    const isFile = file.startsWith(options.dir) && (await stat(file).catch(() => undefined))?.isFile();
    if (isFile && !path.startsWith('/.')) {
      const immutable = path.startsWith('/assets/');
      return send(res, 200, await readFile(file), {
        'content-type': types[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    if (path.startsWith('/assets/')) return send(res, 404, 'Not Found', { 'content-type': 'text/plain' });
    return send(res, 200, await readFile(join(options.dir, 'index.html')), {
      'content-type': types['.html'] as string,
      'cache-control': 'no-cache',
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, 'Internal Server Error', { 'content-type': 'text/plain' }));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address } = server.address() as AddressInfo;
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
