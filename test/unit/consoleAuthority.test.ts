import { describe, expect, it } from 'vitest';
import { authorityHint } from '../../console/src/authority';
import { assessAuthority } from '../../functions/core/authority';
import { policyProfiles } from '../../functions/core/policy';

/**
 * The authority limit as the console's resolve form shows it, against the API's check of the same
 * resolution (`assessAuthority`): the limit covers what the complaint has cost so far (the detail's
 * `appliedTotal`) plus this amount, so a complaint refunded before a reopen is not promised a refund
 * applied at once that the API sends for approval.
 */
const policy = policyProfiles.standard;
const limit = policy.authority.tier1 as number;
const hint = (appliedTotal: number | undefined, type: string, amount: string) =>
  authorityHint({ appliedTotal, type, amount, limit, currency: policy.currency });
const server = (applied: number, type: 'refund' | 'credit' | 'apology', amount: number) =>
  !assessAuthority('tier1', { type, amount }, policy, applied).withinAuthority;

describe('the resolve form’s authority hint', () => {
  it('counts what was already applied to the complaint, as the API does', () => {
    const cases: [number, 'refund' | 'credit' | 'apology', number][] = [
      [0, 'refund', limit],
      [0, 'refund', limit + 0.01],
      [limit - 10, 'refund', 10],
      [limit - 10, 'credit', 10.01],
      [60.1, 'refund', limit - 60.1],
      [60.1, 'refund', limit - 60.09],
      [limit * 2, 'apology', 0],
      // An amount of 0 spends nothing, whatever was paid before.
      [limit * 2, 'refund', 0],
    ];
    for (const [applied, type, amount] of cases) {
      expect(hint(applied, type, String(amount)), `${applied} + ${type} ${amount}`).toEqual({
        applied,
        overLimit: server(applied, type, amount),
      });
    }
    // The case the form got wrong when it read a view without the total as 0.
    expect(hint(limit - 10, 'refund', '20').overLimit).toBe(true);
  });

  it('does not count a missing total as 0: the hint is unknown until the detail’s total is read', () => {
    expect(hint(undefined, 'refund', '20')).toEqual({ applied: undefined, overLimit: undefined });
    // Nothing to check without an amount, or with no limit.
    expect(hint(undefined, 'refund', '')).toEqual({ applied: undefined, overLimit: false });
    expect(hint(undefined, 'apology', '20')).toEqual({ applied: undefined, overLimit: false });
    expect(
      authorityHint({ appliedTotal: undefined, type: 'refund', amount: '20', limit: null, currency: 'EUR' }),
    ).toEqual({ applied: undefined, overLimit: false });
  });
});
