import type { Resolution } from './complaint';
import type { AgentRole, Policy } from './policy';

export interface AuthorityAssessment {
  /** True when the acting role may apply the resolution alone. */
  withinAuthority: boolean;
  /** Monetary value the check was made on (0 for apology/explanation/replacement). */
  value: number;
  /** The acting role's limit (null = unlimited). */
  limit: number | null;
  /** Lowest role whose limit covers the value, when the actor's does not. */
  approverRole?: AgentRole;
}

const ladder: AgentRole[] = ['tier1', 'tier2', 'tier3', 'manager'];

/** Limit of a role in the policy (null = unlimited). */
export function authorityLimit(role: AgentRole, policy: Policy): number | null {
  return policy.authority[role];
}

/**
 * Checks a proposed resolution against the acting role's refund/credit cap. Only refunds and
 * credits carry a value; the amount must be in the account currency (conversion is not guessed).
 */
export function assessAuthority(
  role: AgentRole,
  resolution: Pick<Resolution, 'type' | 'amount'>,
  policy: Policy,
): AuthorityAssessment {
  const value = resolution.type === 'refund' || resolution.type === 'credit' ? (resolution.amount ?? 0) : 0;
  const limit = authorityLimit(role, policy);
  const covers = (l: number | null) => l === null || value <= l;
  if (covers(limit)) return { withinAuthority: true, value, limit };
  const approverRole = ladder.slice(ladder.indexOf(role) + 1).find((r) => covers(authorityLimit(r, policy)));
  return { withinAuthority: false, value, limit, ...(approverRole ? { approverRole } : {}) };
}
