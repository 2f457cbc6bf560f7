import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Complaint, ComplaintStatus, WaitingFor } from '../../functions/core/complaint';
import type { Investigation } from '../../functions/core/investigation';
import {
  acceptDecision,
  awaitPerson,
  close,
  closesFromKnown,
  complaintFromKnown,
  investigate,
  knownOf,
  registersFromKnown,
  workflowState,
} from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';
import { knownComplaintSchema, taskOutputOf, taskOutputSchema } from '../../workflows/contract';

const policy = policyProfiles.standard;
const t0 = new Date('2026-11-23T09:00:00Z');
const later = new Date('2026-11-23T09:30:00Z');

const found: Investigation = {
  category: 'billing',
  sentiment: { score: -4, comparative: -0.4, label: 'negative' },
  priority: 'high',
  riskSignals: [{ signal: 'legal_threat', evidence: 'my lawyer will hear about this' }],
  atRisk: true,
  atRiskReasons: ['Legal threat: "my lawyer will hear about this"'],
  history: { complaintsInWindow: 2, open: 1 },
  possibleDuplicates: ['c0'],
  minimumTier: 3,
};

/** A complaint with every kind of field a wait's registration could meet, in the given status. */
function complaintIn(status: ComplaintStatus): Complaint {
  const received: Complaint = {
    id: 'c1',
    reference: 'CMP-4F7K2Q',
    status: 'received',
    tier: 2,
    priority: 'normal',
    customerEmail: 'Ann.Example@example.org',
    customerName: 'Ann Example',
    subject: 'Charged twice',
    threadToken: 'thread-1',
    assignee: 'agent-7',
    claimedBy: { id: 'agent-7', role: 'tier2', at: t0.toISOString() },
    spentTokens: ['token-0'],
    firstResponseAt: t0.toISOString(),
    followUp: {
      agentId: 'agent-8',
      scheduledFor: t0.toISOString(),
      attempts: 1,
      surveySentAt: t0.toISOString(),
    },
    resolution: {
      type: 'refund',
      amount: 20,
      currency: 'EUR',
      summary: 'Refunded the second charge',
      rootCause: 'double_charge',
      appliedBy: { kind: 'agent', id: 'agent-8', role: 'tier2' },
      authorityLimit: 1000,
      decisionId: 'd1',
    },
    failure: { state: 'ApplyResolution', error: 'Boom', cause: 'x', at: t0.toISOString() },
    createdAt: t0.toISOString(),
    updatedAt: t0.toISOString(),
    version: 1,
  };
  const investigated = investigate(received, found, policy, t0).complaint;
  return { ...investigated, status, taskToken: 'token-live', waitingFor: 'agent', version: 7 };
}

/**
 * The attributes a change set (or cleared: undefined) on `before`, as the store's update writes them:
 * an attribute `before` lacks is set, or removed when the change names it undefined.
 */
const changes = (before: Complaint, after: Complaint) =>
  Object.fromEntries(
    Object.entries(after).filter(
      ([k, v]) => !(k in before) || !isDeepStrictEqual(before[k as keyof Complaint], v),
    ),
  );

/** The item as DynamoDB keeps it: an attribute set to undefined is no attribute. */
const stored = (c: Complaint) => JSON.parse(JSON.stringify(c));

const waits: [WaitingFor, ComplaintStatus][] = [
  ['agent', 'investigating'],
  ['agent', 'awaiting_agent'],
  ['customer', 'awaiting_customer'],
  ['follow_up', 'resolved'],
  ['follow_up', 'awaiting_follow_up'],
  ['survey', 'awaiting_follow_up'],
  ['attention', 'needs_attention'],
];

describe('what the workflow state knows of a complaint', () => {
  it.each(waits)(
    'registers a wait for %s from %s exactly as from the whole complaint',
    (waitingFor, status) => {
      const whole = complaintIn(status);
      const known = knownComplaintSchema.parse(JSON.parse(JSON.stringify(knownOf(whole))));
      expect(registersFromKnown(known, waitingFor)).toBe(true);
      const partial = complaintFromKnown(whole.id, known);
      const fromWhole = awaitPerson(whole, 'token-new', waitingFor, 600, policy, later);
      const fromKnown = awaitPerson(partial, 'token-new', waitingFor, 600, policy, later);
      // What the write from the known fields sets and clears, applied to the stored complaint.
      const updated = { ...whole, ...changes(partial, fromKnown.complaint) };
      expect(stored(updated)).toEqual(stored(fromWhole.complaint));
      expect(fromKnown.audit).toEqual(fromWhole.audit);
    },
  );

  it('leaves to the stored complaint the waits that read a decision or a proposal', () => {
    const known = knownOf(complaintIn('awaiting_approval'));
    expect(registersFromKnown(known, 'approval')).toBe(false);
    expect(registersFromKnown(knownOf(complaintIn('deciding')), 'customer')).toBe(false);
  });

  it('carries ids, times and business fields only: no address, name, subject or text', () => {
    const state = JSON.stringify(workflowState(complaintIn('investigating'), later));
    for (const personal of [
      'Ann',
      'example.org',
      'Charged twice',
      'lawyer',
      'Refunded',
      'thread-1',
      'CMP-4F7K2Q',
    ]) {
      expect(state).not.toContain(personal);
    }
    expect(JSON.parse(state).known).toMatchObject({
      version: 7,
      status: 'investigating',
      customerId: expect.stringMatching(/^cus-[0-9a-f]{16}$/),
      riskSignals: ['legal_threat'],
    });
  });

  it('closes on a satisfied follow-up call exactly as from the whole complaint, naming nobody by address', () => {
    const agent = { kind: 'agent' as const, id: 'agent-8', role: 'tier2' as const, email: 'a8@corp.example' };
    const waiting = { ...complaintIn('awaiting_follow_up'), waitingFor: 'follow_up' as const };
    const decision = {
      action: 'follow_up' as const,
      outcome: 'satisfied' as const,
      via: 'call' as const,
      by: agent,
      note: 'Ann is happy now',
      decisionId: 'd9',
    };
    const whole = acceptDecision(waiting, decision, agent, t0).complaint;
    const output = taskOutputSchema.parse(
      JSON.parse(JSON.stringify(taskOutputOf(decision, { known: knownOf(whole), actor: agent }))),
    );
    for (const personal of ['a8@corp.example', 'Ann', 'example.org', 'happy', 'Charged twice']) {
      expect(JSON.stringify(output)).not.toContain(personal);
    }
    const partial = closesFromKnown(whole.id, 'satisfied', output);
    if (!partial) throw new Error('expected the close to start from what the output knows');
    const fromWhole = close(whole, 'satisfied', later);
    const fromKnown = close(partial, 'satisfied', later);
    const updated = { ...whole, ...changes(partial, fromKnown.complaint) };
    expect(stored(updated)).toEqual(stored(fromWhole.complaint));
    expect(fromKnown.audit).toEqual(fromWhole.audit);
    expect(fromWhole.complaint.closure?.by).toEqual({ kind: 'agent', id: 'agent-8', role: 'tier2' });
  });

  it('leaves to the stored complaint a close the output cannot make: a survey answer, an agent close', () => {
    const customer = { kind: 'customer' as const, id: 'ann@example.org', email: 'ann@example.org' };
    const answer = {
      action: 'follow_up' as const,
      outcome: 'satisfied' as const,
      via: 'survey' as const,
      by: customer,
      decisionId: 'd10',
    };
    const waiting = { ...complaintIn('awaiting_follow_up'), waitingFor: 'survey' as const };
    const whole = acceptDecision(waiting, answer, customer, t0).complaint;
    const output = taskOutputOf(answer, { known: knownOf(whole), actor: customer });
    expect(JSON.stringify(output)).not.toContain('ann@');
    expect(closesFromKnown(whole.id, 'satisfied', output)).toBeUndefined();
    expect(closesFromKnown(whole.id, 'agent', { ...output, action: 'close' })).toBeUndefined();
  });
});
