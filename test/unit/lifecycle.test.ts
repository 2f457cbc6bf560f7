import { describe, expect, it } from 'vitest';
import type { AgentDecision, Complaint } from '../../functions/core/complaint';
import { InvalidTransitionError } from '../../functions/core/errors';
import {
  acceptDecision,
  applyResolution,
  awaitAgent,
  ComplaintBusyError,
  escalate,
  investigate,
  releaseDecision,
  workflowState,
} from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
const t0 = new Date('2026-11-23T09:00:00Z');
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };

const received: Complaint = {
  id: 'c1',
  reference: 'CMP-4F7K2Q',
  status: 'received',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 'Late parcel',
  threadToken: 'tok',
  createdAt: t0.toISOString(),
  updatedAt: t0.toISOString(),
  version: 1,
};

const decision: AgentDecision = {
  action: 'resolve',
  resolution: {
    type: 'refund',
    amount: 40,
    currency: 'EUR',
    summary: 'Refunded',
    rootCause: 'carrier_delay',
    appliedBy: agent,
    authorityLimit: 100,
  },
};

describe('complaint lifecycle', () => {
  it('walks received -> investigating -> awaiting_agent -> deciding -> resolved with one audit event per step', () => {
    const a = investigate(received, policy, t0);
    expect(a.complaint).toMatchObject({
      status: 'investigating',
      version: 2,
      slaDueAt: '2026-11-23T17:00:00.000Z',
    });
    expect(a.audit).toMatchObject({
      action: 'startInvestigation',
      fromStatus: 'received',
      toStatus: 'investigating',
      version: 2,
    });
    expect(workflowState(a.complaint, t0)).toEqual({ complaintId: 'c1', tier: 1, awaitSeconds: 8 * 3600 });

    const b = awaitAgent(a.complaint, 'token-1', t0);
    expect(b.complaint).toMatchObject({ status: 'awaiting_agent', taskToken: 'token-1', version: 3 });

    const c = acceptDecision(b.complaint, decision, agent, t0);
    expect(c.complaint).toMatchObject({
      status: 'deciding',
      taskToken: undefined,
      assignee: 'agent-1',
      version: 4,
    });
    expect(c.audit.actor).toEqual(agent);

    const d = applyResolution(c.complaint, decision, t0);
    expect(d.complaint).toMatchObject({ status: 'resolved', version: 5, pendingDecision: undefined });
    expect(d.complaint.resolution).toMatchObject({ type: 'refund', amount: 40, appliedAt: t0.toISOString() });
    expect(d.audit.details).toMatchObject({ amount: 40, authorityLimit: 100 });
  });

  it('refuses moves that are not allowed from the current status', () => {
    expect(() => applyResolution(received, decision, t0)).toThrow(InvalidTransitionError);
    expect(() => acceptDecision(received, decision, agent, t0)).toThrow(InvalidTransitionError);
  });

  it('escalates one tier up with a fresh SLA, and flags a breach at the top tier for the manager', () => {
    const waiting = awaitAgent(investigate(received, policy, t0).complaint, 'tok', t0).complaint;
    const later = new Date(t0.getTime() + 9 * 3600_000);
    const up = escalate(waiting, 'sla_breach', policy, later);
    expect(up.complaint).toMatchObject({ tier: 2, status: 'awaiting_agent', taskToken: undefined });
    expect(up.audit.details).toEqual({ cause: 'sla_breach', fromTier: 1, toTier: 2 });
    const top = escalate({ ...up.complaint, tier: 3 }, 'sla_breach', policy, later);
    expect(top.complaint.tier).toBe(3);
    expect(top.audit.details).toMatchObject({ managerAlert: true });
  });

  it('does not escalate while an agent decision is in flight, and a released decision re-queues', () => {
    const waiting = awaitAgent(investigate(received, policy, t0).complaint, 'tok', t0).complaint;
    const deciding = acceptDecision(waiting, decision, agent, t0).complaint;
    expect(() => escalate(deciding, 'sla_breach', policy, t0)).toThrow(ComplaintBusyError);
    const released = releaseDecision(deciding, agent, t0);
    expect(released.complaint).toMatchObject({ status: 'awaiting_agent', pendingDecision: undefined });
  });
});
