import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appliedSoFar,
  appliedTotalFrom,
  assessAuthority,
  storedAppliedTotal,
} from '../../functions/core/authority';
import type { AuditEntry, Complaint, Resolution } from '../../functions/core/complaint';
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

describe('assessAuthority on what the complaint has cost', () => {
  it('adds the refunds and credits already applied: a second 100 from tier 1 goes to tier 2', () => {
    expect(assessAuthority('tier1', { type: 'refund', amount: 100 }, policy, 100)).toMatchObject({
      withinAuthority: false,
      value: 200,
      amount: 100,
      alreadyApplied: 100,
      limit: 100,
      approverRole: 'tier2',
    });
    expect(assessAuthority('tier1', { type: 'credit', amount: 40 }, policy, 60)).toMatchObject({
      withinAuthority: true,
      value: 100,
    });
    // A small refund after a large approved one needs the role that covers the total.
    expect(assessAuthority('tier1', { type: 'refund', amount: 1 }, policy, 1000).approverRole).toBe('tier3');
  });

  it('lets a resolution without an amount through, whatever was paid before', () => {
    for (const type of ['apology', 'explanation', 'replacement'] as const) {
      expect(assessAuthority('tier1', { type }, policy, 5000)).toMatchObject({
        withinAuthority: true,
        amount: 0,
        value: 5000,
      });
    }
  });

  it('sums in the minor unit: no float drift across the limit', () => {
    // Three refunds that are exactly 100 EUR, and a little more in binary floats.
    expect(0.01 + 64.04 + 35.95).toBeGreaterThan(100);
    let applied = 0;
    for (const amount of [0.01, 64.04, 35.95]) {
      const a = assessAuthority('tier1', { type: 'refund', amount }, policy, applied);
      expect(a.withinAuthority).toBe(true);
      applied = a.value;
    }
    expect(applied).toBe(100);
  });

  it('never lets the applied total pass the role that applies it (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...agentRoles),
        fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 6 }),
        (role, cents) => {
          // Resolutions applied one after the other on one complaint, each checked on the total.
          let applied = 0;
          for (const c of cents) {
            const a = assessAuthority(role, { type: 'refund', amount: c / 100 }, policy, applied);
            const limit = policy.authority[role];
            expect(a.withinAuthority).toBe(limit === null || a.value <= limit);
            if (!a.withinAuthority) {
              const approver = policy.authority[a.approverRole ?? 'tier1'];
              expect(approver === null || a.value <= approver).toBe(true);
              break;
            }
            applied = a.value;
          }
          const limit = policy.authority[role];
          expect(limit === null || applied <= limit).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('what a complaint has been paid so far', () => {
  const resolution = (amount: number, decisionId?: string): Resolution => ({
    type: 'refund',
    amount,
    currency: 'EUR',
    summary: 's',
    rootCause: 'other',
    appliedBy: { kind: 'agent', id: 'a', role: 'tier1' },
    authorityLimit: 100,
    ...(decisionId ? { decisionId } : {}),
  });
  const applied = (decisionId: string, type: string, amount?: number): AuditEntry => ({
    kind: 'audit',
    id: `c1-${decisionId}`,
    at: '2026-11-23T09:00:00Z',
    action: 'applyResolution',
    actor: { kind: 'agent', id: 'a', role: 'tier1' },
    fromStatus: 'deciding',
    toStatus: 'resolved',
    version: 5,
    details: { decisionId, type, amount, currency: 'EUR', rootCause: 'other', authorityLimit: 100 },
  });
  const never: Pick<Complaint, 'appliedTotal' | 'appliedDecisions' | 'resolution'> = {};

  it('reads the stored total, and 0 for a complaint never resolved', () => {
    expect(storedAppliedTotal({ appliedTotal: 140, appliedDecisions: ['d1', 'd2'] })).toBe(140);
    expect(storedAppliedTotal(never)).toBe(0);
    expect(appliedSoFar(never, undefined, 'EUR')).toBe(0);
  });

  it('needs the timeline of a complaint resolved before the total was kept', () => {
    const legacy = { appliedDecisions: ['d1', 'd2'], resolution: resolution(80, 'd2') };
    expect(storedAppliedTotal(legacy)).toBeUndefined();
    expect(appliedSoFar(legacy, undefined, 'EUR')).toBeUndefined();
    const timeline = [
      applied('d1', 'refund', 100),
      applied('d1', 'refund', 100), // the same decision recorded twice counts once
      applied('dx', 'replacement'),
      applied('d2', 'credit', 80),
    ];
    expect(appliedSoFar(legacy, timeline, 'EUR')).toBe(180);
  });

  it('counts the resolution on the item when its timeline entry is missing', () => {
    expect(appliedTotalFrom({ resolution: resolution(60, 'd3') }, [applied('d1', 'refund', 10)], 'EUR')).toBe(
      70,
    );
    expect(appliedTotalFrom({ resolution: resolution(60) }, [], 'EUR')).toBe(60);
    expect(appliedTotalFrom({ resolution: resolution(60) }, [applied('d1', 'refund', 60)], 'EUR')).toBe(60);
  });
});
