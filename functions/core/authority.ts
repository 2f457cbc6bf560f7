import type { Complaint, Resolution, TimelineEntry } from './complaint';
import { sumAmounts } from './money';
import type { AgentRole, Policy } from './policy';

export interface AuthorityAssessment {
  /** True when the acting role may apply the resolution alone. */
  withinAuthority: boolean;
  /**
   * Monetary value the check was made on: what the complaint has cost with this resolution (the
   * refunds and credits already applied to it plus this one's amount). A resolution without an amount
   * adds nothing: its value is what was applied before, and it needs no one's approval.
   */
  value: number;
  /** This resolution's own amount (0 for apology/explanation/replacement). */
  amount: number;
  /** Refunds and credits applied to the complaint before this resolution (earlier resolutions, reopens). */
  alreadyApplied: number;
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

/** What a resolution pays the customer: refunds and credits carry an amount, the other types none. */
export function monetaryValue(resolution: Pick<Resolution, 'type' | 'amount'>): number {
  return resolution.type === 'refund' || resolution.type === 'credit' ? (resolution.amount ?? 0) : 0;
}

/**
 * Checks a resolution against the acting role's refund/credit cap. The cap is on what the complaint
 * costs, not on one decision: a complaint the customer reopens is resolved again, and checking each
 * resolution alone would let an agent pay their limit once per reopen, none of it approved by anyone.
 * So the value checked is `alreadyApplied` (the refunds and credits applied to the complaint so far,
 * see {@link appliedSoFar}) plus this resolution's amount. A resolution with no amount (an apology, an
 * explanation, a replacement) spends nothing and is within every role's authority, whatever was paid
 * before: approving an apology because of an earlier refund would only delay it. Amounts are in the
 * account currency (conversion is not guessed).
 */
export function assessAuthority(
  role: AgentRole,
  resolution: Pick<Resolution, 'type' | 'amount'>,
  policy: Policy,
  alreadyApplied = 0,
): AuthorityAssessment {
  const amount = monetaryValue(resolution);
  const value = sumAmounts(policy.currency, [alreadyApplied, amount]);
  const limit = authorityLimit(role, policy);
  const covers = (l: number | null) => l === null || value <= l;
  const assessed = { value, amount, alreadyApplied, limit };
  if (amount === 0 || covers(limit)) return { withinAuthority: true, ...assessed };
  const approverRole = ladder.slice(ladder.indexOf(role) + 1).find((r) => covers(authorityLimit(r, policy)));
  return { withinAuthority: false, ...assessed, ...(approverRole ? { approverRole } : {}) };
}

/**
 * What a refusal's problem detail says of the check: the value checked, this resolution's amount, what
 * the complaint had been paid before it and the limit, so the agent sees why a small refund is refused.
 */
export const authorityDetails = (a: AuthorityAssessment) => ({
  value: a.value,
  amount: a.amount,
  alreadyApplied: a.alreadyApplied,
  limit: a.limit,
});

/**
 * The refunds and credits applied to a complaint so far, as the complaint item says it: its running
 * total (`appliedTotal`, written with each resolution in the write that records the decision as
 * applied), or 0 when nothing was ever applied. Undefined for a complaint resolved before the total was
 * kept: its item holds only the latest resolution, and the earlier ones are on its timeline
 * ({@link appliedTotalFrom}).
 */
export function storedAppliedTotal(
  c: Pick<Complaint, 'appliedTotal' | 'appliedDecisions' | 'resolution'>,
): number | undefined {
  if (c.appliedTotal !== undefined) return c.appliedTotal;
  return !c.resolution && !c.appliedDecisions?.length ? 0 : undefined;
}

/**
 * The refunds and credits applied to a complaint, from what its timeline recorded: each
 * `applyResolution` audit entry (type and amount, once per decision), and the resolution on the item
 * should its entry be missing. What a complaint stored before `appliedTotal` was kept has cost.
 */
export function appliedTotalFrom(
  c: Pick<Complaint, 'resolution'>,
  timeline: readonly TimelineEntry[],
  currency: string,
): number {
  const applied = new Map<string, number>();
  for (const entry of timeline) {
    if (entry.kind !== 'audit' || entry.action !== 'applyResolution') continue;
    const d = entry.details ?? {};
    const amount = typeof d.amount === 'number' ? d.amount : undefined;
    const key = typeof d.decisionId === 'string' ? d.decisionId : entry.id;
    applied.set(key, monetaryValue({ type: d.type as Resolution['type'], amount }));
  }
  // The latest resolution is recorded unless the timeline lacks its entry (one without a decision id,
  // from before decisions had ids, is the last entry found).
  const latest = c.resolution;
  const recorded = latest?.decisionId ? applied.has(latest.decisionId) : applied.size > 0;
  if (latest && !recorded) applied.set(latest.decisionId ?? 'latest', monetaryValue(latest));
  return sumAmounts(currency, [...applied.values()]);
}

/**
 * What the authority check of a complaint's next resolution adds to: the stored total, else (a
 * complaint resolved before it was kept) the total its timeline records. Undefined when only the
 * timeline can tell and none was given: the caller reads it.
 */
export function appliedSoFar(
  c: Pick<Complaint, 'appliedTotal' | 'appliedDecisions' | 'resolution'>,
  timeline: readonly TimelineEntry[] | undefined,
  currency: string,
): number | undefined {
  return storedAppliedTotal(c) ?? (timeline ? appliedTotalFrom(c, timeline, currency) : undefined);
}
