/**
 * Runtime configuration, read from `/config.json` beside the app: the stack writes it at deploy (the
 * API URL and the Cognito hosted UI's endpoints), the local stack serves its own. The same build runs
 * against either.
 */
export interface ConsoleConfig {
  apiUrl: string;
  auth: {
    /** The token issuer (Cognito user pool URL). */
    issuer: string;
    authorizeUrl: string;
    tokenUrl: string;
    /** Where the sign-out revokes the refresh token (Cognito's `/oauth2/revoke`). */
    revokeUrl: string;
    logoutUrl: string;
    clientId: string;
    scope: string;
  };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as ConsoleConfig;
}
