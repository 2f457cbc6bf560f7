import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Complaint } from '../../functions/core/complaint';
import { decideApproval, proposeResolution } from '../../functions/core/decisions';
import { ConflictError, ForbiddenError, OverAuthorityError } from '../../functions/core/errors';
import { agentRoles, policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
const now = new Date('2026-11-23T09:00:00Z');
const agent = (role: (typeof agentRoles)[number], id = `${role}-agent`) => ({
  kind: 'agent' as const,
  id,
  role,
});
const base = { type: 'refund' as const, currency: 'EUR', summary: 's', rootCause: 'other' };

describe('proposeResolution', () => {
  it('resolves within the limit and proposes to the lowest role that may approve above it', () => {
    expect(proposeResolution(agent('tier1'), { ...base, amount: 100 }, policy, now, 0).action).toBe(
      'resolve',
    );
    const proposal = proposeResolution(agent('tier1'), { ...base, amount: 5000 }, policy, now, 0);
    expect(proposal).toMatchObject({
      action: 'request_approval',
      proposal: { approverRole: 'tier3', proposerLimit: 100 },
    });
    // Approval SLA: 4 business hours from Monday 10:00 Berlin.
    expect(proposal.action === 'request_approval' && proposal.awaitSeconds).toBe(4 * 3600);
  });

  it('never hands over a resolution above the limit of the role it is applied by (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...agentRoles), fc.integer({ min: 1, max: 50_000 }), (role, amount) => {
        const decision = proposeResolution(agent(role), { ...base, amount }, policy, now, 0);
        if (decision.action === 'resolve') {
          const limit = policy.authority[role];
          expect(limit === null || amount <= limit).toBe(true);
        } else {
          expect(decision.action).toBe('request_approval');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('proposeResolution on a complaint already paid', () => {
  it('checks the total: a tier-1 refund of 100 after 100 applied goes to tier 2, saying why', () => {
    const decision = proposeResolution(agent('tier1'), { ...base, amount: 100 }, policy, now, 100);
    expect(decision).toMatchObject({
      action: 'request_approval',
      proposal: { approverRole: 'tier2', proposerLimit: 100, alreadyApplied: 100 },
    });
    expect(proposeResolution(agent('tier1'), { ...base, amount: 100 }, policy, now, 0)).not.toHaveProperty(
      'proposal',
    );
    // An apology spends nothing: no approval, whatever was paid before.
    expect(
      proposeResolution(agent('tier1'), { ...base, type: 'apology', amount: undefined }, policy, now, 900)
        .action,
    ).toBe('resolve');
  });

  it('refuses what no role may approve with the amount, what was applied and the total', () => {
    const capped = { ...policy, authority: { ...policy.authority, manager: 20_000 } };
    expect(() => proposeResolution(agent('tier1'), { ...base, amount: 50 }, capped, now, 19_990)).toThrow(
      expect.objectContaining({
        name: OverAuthorityError.errorName,
        message: 'No role may approve a refund of 50 after 19990 already applied (20040 in all)',
        details: { value: 20_040, amount: 50, alreadyApplied: 19_990, limit: 100 },
      }),
    );
  });
});

describe('decideApproval', () => {
  const waiting = (approverRole: 'tier2' | 'tier3' | 'manager', amount: number) =>
    ({
      id: 'c1',
      status: 'awaiting_approval',
      version: 4,
      proposal: {
        resolution: { ...base, amount },
        proposedBy: agent('tier1'),
        proposedAt: now.toISOString(),
        proposerLimit: 100,
        approverRole,
      },
    }) as unknown as Complaint;

  it('lets the required role or above approve, re-checking the approver limit', () => {
    expect(
      decideApproval(waiting('tier2', 500), agent('tier2'), { approve: true }, policy, now, 0),
    ).toMatchObject({
      action: 'approve',
      resolution: { amount: 500, authorityLimit: 1000, appliedBy: { role: 'tier2' } },
    });
    expect(
      decideApproval(waiting('tier2', 500), agent('manager'), { approve: true }, policy, now, 0).action,
    ).toBe('approve');
  });

  it('re-checks the approver limit on the complaint total', () => {
    // Proposed to tier 2 when nothing was applied; meanwhile the complaint's total says 900 more.
    expect(() =>
      decideApproval(waiting('tier2', 500), agent('tier2'), { approve: true }, policy, now, 900),
    ).toThrow(
      expect.objectContaining({
        message: 'A refund of 500 after 900 already applied (1400 in all) exceeds the tier2 limit',
        details: expect.objectContaining({ value: 1400, alreadyApplied: 900 }),
      }),
    );
    expect(
      decideApproval(waiting('tier3', 500), agent('tier3'), { approve: true }, policy, now, 900).action,
    ).toBe('approve');
  });

  it('forbids lower roles and the proposer, and records a rejection reason', () => {
    expect(() =>
      decideApproval(waiting('tier3', 5000), agent('tier2'), { approve: true }, policy, now, 0),
    ).toThrow(ForbiddenError);
    expect(() =>
      decideApproval(waiting('tier2', 500), agent('tier2', 'tier1-agent'), { approve: true }, policy, now, 0),
    ).toThrow(ForbiddenError);
    expect(
      decideApproval(
        waiting('tier2', 500),
        agent('tier2'),
        { approve: false, reason: 'Too generous' },
        policy,
        now,
        0,
      ),
    ).toMatchObject({
      action: 'reject',
      rejection: { reason: 'Too generous' },
    });
    expect(() =>
      decideApproval(
        { id: 'x', status: 'awaiting_agent' } as Complaint,
        agent('tier2'),
        { approve: true },
        policy,
        now,
        0,
      ),
    ).toThrow(ConflictError);
  });
});
