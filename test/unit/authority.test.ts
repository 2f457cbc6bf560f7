import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessAuthority } from '../../functions/core/authority';
import { agentRoles, policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;

describe('assessAuthority', () => {
  it('lets a tier-1 agent refund up to 100 and sends 101 to tier 2', () => {
    expect(assessAuthority('tier1', { type: 'refund', amount: 100 }, policy)).toMatchObject({
      withinAuthority: true,
      limit: 100,
    });
    expect(assessAuthority('tier1', { type: 'refund', amount: 101 }, policy)).toMatchObject({
      withinAuthority: false,
      approverRole: 'tier2',
    });
  });

  it('sends amounts above tier 3 to the manager, who is unlimited', () => {
    expect(assessAuthority('tier1', { type: 'credit', amount: 50_000 }, policy).approverRole).toBe('manager');
    expect(assessAuthority('manager', { type: 'credit', amount: 1e9 }, policy).withinAuthority).toBe(true);
  });

  it('treats non-monetary resolutions as value 0', () => {
    for (const type of ['apology', 'explanation', 'replacement'] as const) {
      expect(assessAuthority('tier1', { type }, policy)).toMatchObject({ withinAuthority: true, value: 0 });
    }
  });

  it('never allows an amount above the acting role limit, and names an approver who can', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...agentRoles),
        fc.constantFrom('refund' as const, 'credit' as const),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        (role, type, amount) => {
          const a = assessAuthority(role, { type, amount }, policy);
          const limit = policy.authority[role];
          expect(a.withinAuthority).toBe(limit === null || amount <= limit);
          if (!a.withinAuthority) {
            expect(a.approverRole).toBeDefined();
            const approverLimit = policy.authority[a.approverRole ?? 'tier1'];
            expect(approverLimit === null || amount <= approverLimit).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
