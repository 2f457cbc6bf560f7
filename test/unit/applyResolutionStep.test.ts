import { describe, expect, it } from 'vitest';
import type { ComplaintStore } from '../../functions/adapters/ports';
import type { Deps } from '../../functions/application/deps';
import type { AuditEntry, Complaint, Resolution, TimelineEntry } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';
import { createHandler } from '../../functions/handlers/workflow/applyResolution';
import { testSettings } from '../support/settings';

/**
 * The ApplyResolution step checks authority again on the complaint's total, with the role the verified
 * token gave the decision. Here on a complaint stored before the total was kept: resolved once (80 EUR),
 * reopened, and resolved again by tier 1. Its item holds only the latest resolution, so the step takes
 * what was paid from the timeline it reads anyway.
 */
const id = 'c'.repeat(26);
const now = new Date('2026-11-23T10:00:00Z');
const tier1 = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };
const refund = (amount: number, decisionId?: string): Resolution => ({
  type: 'refund',
  amount,
  currency: 'EUR',
  summary: 'Refunded',
  rootCause: 'carrier_delay',
  appliedBy: tier1,
  authorityLimit: 100,
  ...(decisionId ? { decisionId, appliedAt: '2026-11-16T10:00:00.000Z' } : {}),
});

const firstApplied: AuditEntry = {
  kind: 'audit',
  id: `${id}-v8`,
  at: '2026-11-16T10:00:00.000Z',
  action: 'applyResolution',
  actor: tier1,
  fromStatus: 'deciding',
  toStatus: 'resolved',
  version: 8,
  details: { decisionId: 'd1', type: 'refund', amount: 80, currency: 'EUR', rootCause: 'carrier_delay' },
};

/** Reopened and resolved again by tier 1: the second decision pending, no `appliedTotal` stored. */
const legacy = (amount: number): Complaint => ({
  id,
  reference: 'CMP-4F7K2Q',
  status: 'deciding',
  tier: 1,
  priority: 'high',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  appliedDecisions: ['d1'],
  resolution: refund(80, 'd1'),
  reopenCount: 1,
  pendingDecision: { action: 'resolve', resolution: refund(amount), decisionId: 'd2' },
  decidingFrom: 'awaiting_agent',
  decidingSince: now.toISOString(),
  createdAt: '2026-11-09T09:00:00Z',
  updatedAt: now.toISOString(),
  version: 14,
});

function step(initial: Complaint) {
  let current = initial;
  const timeline: TimelineEntry[] = [
    firstApplied,
    // The second resolution's mail, as if sent: the step's mailing is not what this test is about.
    {
      kind: 'message',
      id: `${id}-resolution-d2`,
      at: now.toISOString(),
      direction: 'outbound',
      from: 'support@support.localhost',
      to: ['ann@example.org'],
      subject: 's',
      text: 't',
      purpose: 'resolution',
    },
  ];
  const saved: Complaint[] = [];
  const store = {
    withTimeline: async () => ({ complaint: current, timeline: [...timeline] }),
    save: async (next: Complaint, added: TimelineEntry[]) => {
      if (next.version - 1 !== current.version) throw new ConflictError('stale');
      current = next;
      saved.push(next);
      timeline.push(...added);
    },
  } as unknown as ComplaintStore;
  const deps = {
    store,
    settings: testSettings(),
    clock: () => now,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as Deps;
  return { run: () => createHandler(deps)({ complaintId: id }), current: () => current, saved };
}

describe('ApplyResolution on a complaint paid before', () => {
  it('refuses a second tier-1 refund that takes the total over 100 (80 + 30), and saves nothing', async () => {
    const s = step(legacy(30));
    await expect(s.run()).rejects.toMatchObject({
      name: 'OverAuthorityError',
      details: { role: 'tier1', value: 110, amount: 30, alreadyApplied: 80, limit: 100 },
    });
    expect(s.saved).toEqual([]);
  });

  it('applies one within the total (80 + 20), stores the total with the decision, and a replay counts it once', async () => {
    const s = step(legacy(20));
    await s.run();
    expect(s.current()).toMatchObject({
      status: 'resolved',
      appliedDecisions: ['d1', 'd2'],
      appliedTotal: 100,
    });
    // Step Functions runs the step again: the decision is applied, nothing is counted or saved twice.
    await s.run();
    expect(s.saved).toHaveLength(1);
    expect(s.current().appliedTotal).toBe(100);
  });
});
