import type { Actor } from '../core/complaint';
import { ForbiddenError } from '../core/errors';
import { type AgentRole, agentRoles } from '../core/policy';
import { UnauthorizedError } from './problem';

type Claims = Record<string, string | number | boolean | string[] | undefined>;

const rank = (r: AgentRole) => agentRoles.indexOf(r);

/**
 * Cognito puts group membership in `cognito:groups`; API Gateway's JWT authorizer hands array claims
 * to the Lambda flattened as a string like "[tier1 manager]". Accept both forms. Split on spaces only:
 * a Cognito group name has none, but may have a comma (a group `x,manager` is no manager).
 */
function groupsOf(value: Claims[string]): string[] {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * The agent behind a request, from the claims the JWT authorizer verified. The highest group wins.
 * Only an access token is taken: the authorizer cannot tell one from the ID token Cognito issues with it
 * (both signed by the pool for the same client, both carrying `cognito:groups`; AWS documents no
 * standard way to), and only the routes' scope requirement keeps an ID token out: one setting of the
 * stack. An ID token is meant for the client to read and is shown around more readily, so the API
 * refuses it itself too (401, as the authorizer answers a token it does not take).
 */
export function actorFromClaims(claims: Claims | undefined): Actor & { role: AgentRole } {
  const sub = claims?.sub;
  if (!claims || typeof sub !== 'string' || sub === '' || claims.token_use !== 'access')
    throw new UnauthorizedError('A valid bearer access token is required');
  const roles = groupsOf(claims['cognito:groups']).filter((g): g is AgentRole =>
    (agentRoles as readonly string[]).includes(g),
  );
  if (roles.length === 0) throw new ForbiddenError('The token carries no agent group');
  const role = roles.sort((a, b) => rank(b) - rank(a))[0] as AgentRole;
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  return { kind: 'agent', id: sub, role, ...(email ? { email } : {}) };
}
