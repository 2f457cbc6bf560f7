import * as oauth from 'oauth4webapi';
import type { ConsoleConfig } from './config';
import { clearDrafts } from './drafts';

/**
 * Sign-in with the OAuth 2.0 authorization code flow and PKCE (a public client keeps no secret): the
 * Cognito hosted UI on AWS, the local stack's identity picker locally, both behind the same endpoints.
 * The access token lives in sessionStorage (this tab only), with its expiry.
 */
const sessionKey = 'console.session';
const pendingKey = 'console.signin';

export interface Session {
  accessToken: string;
  expiresAt: number;
}

const redirectUri = () => new URL('/callback', location.origin).href;

function server(config: ConsoleConfig): oauth.AuthorizationServer {
  return {
    issuer: config.auth.issuer,
    authorization_endpoint: config.auth.authorizeUrl,
    token_endpoint: config.auth.tokenUrl,
  };
}

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(sessionKey);
  if (!raw) return undefined;
  const session = JSON.parse(raw) as Session;
  return session.expiresAt > Date.now() ? session : undefined;
}

export function forgetSession() {
  sessionStorage.removeItem(sessionKey);
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
  const client: oauth.Client = { client_id: config.auth.clientId };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  // The identity endpoint's scheme decides; a local one is plain HTTP on the loopback interface.
  const options = { [oauth.allowInsecureRequests]: new URL(config.auth.tokenUrl).protocol === 'http:' };
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    options,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  const session: Session = {
    accessToken: tokens.access_token,
    expiresAt: Date.now() + (tokens.expires_in ?? 3600) * 1000,
  };
  sessionStorage.setItem(sessionKey, JSON.stringify(session));
  return pending.returnTo;
}

export function signOut(config: ConsoleConfig) {
  forgetSession();
  clearDrafts();
  const url = new URL(config.auth.logoutUrl);
  url.search = new URLSearchParams({
    client_id: config.auth.clientId,
    logout_uri: new URL('/signed-out', location.origin).href,
  }).toString();
  location.assign(url.href);
}
