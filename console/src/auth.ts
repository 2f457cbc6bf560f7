import * as oauth from 'oauth4webapi';
import type { ConsoleConfig } from './config';
import { clearDrafts } from './drafts';

/**
 * Sign-in with the OAuth 2.0 authorization code flow and PKCE (a public client keeps no secret): the
 * Cognito hosted UI on AWS, the local stack's identity picker locally, both behind the same endpoints.
 * The access token (15 minutes) and the refresh token live in sessionStorage (this tab only), with the
 * access token's expiry; a minute before it the token is renewed with the refresh token, and the
 * sign-out revokes the refresh token. Neither token is ever put in an address or written to the console.
 */
const sessionKey = 'console.session';
const pendingKey = 'console.signin';

export interface Session {
  accessToken: string;
  expiresAt: number;
  /** Renews the access token until it expires (a working day) or the sign-out revokes it. */
  refreshToken?: string;
}

/** How long before its expiry an access token is renewed: a request never leaves with one about to lapse. */
const renewBeforeMs = 60_000;

const redirectUri = () => new URL('/callback', location.origin).href;

function server(config: ConsoleConfig): oauth.AuthorizationServer {
  return {
    issuer: config.auth.issuer,
    authorization_endpoint: config.auth.authorizeUrl,
    token_endpoint: config.auth.tokenUrl,
    revocation_endpoint: config.auth.revokeUrl,
  };
}

const clientOf = (config: ConsoleConfig): oauth.Client => ({ client_id: config.auth.clientId });

// The identity endpoint's scheme decides; a local one is plain HTTP on the loopback interface.
const requestOptions = (config: ConsoleConfig) => ({
  [oauth.allowInsecureRequests]: new URL(config.auth.tokenUrl).protocol === 'http:',
});

function storedSession(): Session | undefined {
  const raw = sessionStorage.getItem(sessionKey);
  return raw ? (JSON.parse(raw) as Session) : undefined;
}

function keep(tokens: oauth.TokenEndpointResponse, refreshToken: string | undefined) {
  const session: Session = {
    accessToken: tokens.access_token,
    expiresAt: Date.now() + (tokens.expires_in ?? 900) * 1000,
    // Cognito hands a refresh token back only when it rotates them; otherwise the one held goes on.
    ...((tokens.refresh_token ?? refreshToken) ? { refreshToken: tokens.refresh_token ?? refreshToken } : {}),
  };
  sessionStorage.setItem(sessionKey, JSON.stringify(session));
  return session;
}

/** The session while its access token is valid; undefined once it has expired (see `activeSession`). */
function currentSession(): Session | undefined {
  const session = storedSession();
  return session && session.expiresAt > Date.now() ? session : undefined;
}

let renewing: Promise<Session | undefined> | undefined;

/**
 * The session to call the API with: the stored one, renewed first with its refresh token when its access
 * token expires within a minute (one renewal at a time, however many requests wait for it). Undefined when
 * there is none, or the refresh token was refused (expired, revoked): the agent signs in again.
 */
export async function activeSession(config: ConsoleConfig): Promise<Session | undefined> {
  const session = storedSession();
  if (!session) return undefined;
  if (session.expiresAt - renewBeforeMs > Date.now()) return session;
  if (!session.refreshToken) return currentSession();
  renewing ??= renew(config, session.refreshToken).finally(() => {
    renewing = undefined;
  });
  return renewing;
}

async function renew(config: ConsoleConfig, refreshToken: string): Promise<Session | undefined> {
  const as = server(config);
  try {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      clientOf(config),
      oauth.None(),
      refreshToken,
      requestOptions(config),
    );
    return keep(await oauth.processRefreshTokenResponse(as, clientOf(config), response), refreshToken);
  } catch (e) {
    // Refused (expired or revoked: an OAuth error answer): the refresh token is dropped, and the agent
    // signs in again once the access token in hand lapses. Unreachable (offline, a 5xx): it is kept, and
    // the next call tries again.
    const stored = storedSession();
    if (e instanceof oauth.ResponseBodyError && stored) {
      const { refreshToken: _refused, ...rest } = stored;
      sessionStorage.setItem(sessionKey, JSON.stringify(rest));
    }
    return currentSession();
  }
}

/**
 * Ends the tab's session: revokes its refresh token (so no copy of it renews anything) and forgets both
 * tokens. A revocation that fails (offline) does not keep the session: the refresh token then ends at its
 * expiry. An access token already issued stays valid at the API until it expires (15 minutes at most):
 * the JWT authorizer consults no revocation list.
 */
export async function forgetSession(config: ConsoleConfig) {
  const refreshToken = storedSession()?.refreshToken;
  sessionStorage.removeItem(sessionKey);
  if (!refreshToken) return;
  await oauth
    .revocationRequest(server(config), clientOf(config), oauth.None(), refreshToken, requestOptions(config))
    .then(oauth.processRevocationResponse)
    .catch(() => undefined);
}

/** Leaves for the sign-in page; `returnTo` is where the agent comes back to afterwards. */
export async function signIn(config: ConsoleConfig, returnTo: string) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(config.auth.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.auth.clientId,
    redirect_uri: redirectUri(),
    scope: config.auth.scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** On `/callback`: trades the code for an access token; answers where to go next. */
export async function completeSignIn(config: ConsoleConfig): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null') as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  if (!pending) throw new Error('No sign-in was started in this tab');
  sessionStorage.removeItem(pendingKey);
  const as = server(config);
  const client = clientOf(config);
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    requestOptions(config),
  );
  keep(await oauth.processAuthorizationCodeResponse(as, client, response), undefined);
  return pending.returnTo;
}

/** Signs out: ends the session (its refresh token revoked), clears the drafts, ends the hosted UI's session. */
export async function signOut(config: ConsoleConfig) {
  await forgetSession(config);
  clearDrafts();
  const url = new URL(config.auth.logoutUrl);
  url.search = new URLSearchParams({
    client_id: config.auth.clientId,
    logout_uri: new URL('/signed-out', location.origin).href,
  }).toString();
  location.assign(url.href);
}
