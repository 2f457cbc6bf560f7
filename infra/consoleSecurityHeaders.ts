/**
 * The agent console's security headers, defined once: CloudFront's response headers policy sends them
 * on AWS (`constructs/AgentConsole.ts`) and the local console server on every answer
 * (`scripts/local/consoleServer.ts`), so the browser tests run the console under the policy that
 * deploys. The two differ only in where the console may connect: the region's HTTP APIs and the
 * Cognito domain on AWS, the local API's origin on the laptop (plain HTTP; the local token endpoint is
 * the console's own origin).
 */

/**
 * Where the deployed console may connect besides itself: the HTTP APIs of the stack's region (the
 * API's CORS names the distribution, so a policy naming the API's own id would be a dependency cycle)
 * and the Cognito domain (its token endpoint). Not any https origin: a script that found its way in
 * could not send what it read to a server of its choosing with fetch.
 */
export function deployedConnectSources(region: string, urlSuffix: string, authDomain: string): string[] {
  return [`https://*.execute-api.${region}.${urlSuffix}`, authDomain];
}

/**
 * Scripts and styles from the console itself only (no inline script or style, no `eval`), images from
 * itself and `data:` (the favicon), requests to itself and `connectSources`, forms posted to itself,
 * never framed (the decision buttons cannot be clickjacked), no `<base>`, no plugins.
 */
export function consoleContentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...connectSources].join(' '),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The other headers, as CloudFront's policy sets them (`override: true`); HSTS only over HTTPS. */
export const consoleHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;
