import { describe, expect, it } from 'vitest';
import type {
  AcceptedDecision,
  Actor,
  AgentDecision,
  Complaint,
  Decision,
  Resolution,
} from '../../functions/core/complaint';
import { proposeResolution } from '../../functions/core/decisions';
import { ComplaintBusyError, InvalidTransitionError, OverAuthorityError } from '../../functions/core/errors';
import { domainEventOf } from '../../functions/core/events/fromAudit';
import type { Investigation } from '../../functions/core/investigation';
import {
  acceptDecision,
  applyResolution,
  awaitPerson,
  close,
  escalate,
  investigate,
  needsRiskEscalation,
  recordUnreachable,
  releaseDecision,
  reopen,
  requeue,
  sendSurvey,
  slaWarningDone,
  warnSla,
  workflowState,
} from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
let decisions = 0;
/** A decision as the API accepts it: with its idempotency key. */
const accepted = (d: Decision): AcceptedDecision => ({ ...d, decisionId: `d${++decisions}` });
// Monday 10:00 in Berlin: inside business hours.
const t0 = new Date('2026-11-23T09:00:00Z');
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };
const lead = { kind: 'agent' as const, id: 'lead-1', role: 'tier2' as const };

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

const found = (over: Partial<Investigation> = {}): Investigation => ({
  category: 'delivery',
  sentiment: { score: -2, comparative: -0.2, label: 'negative' },
  priority: 'normal',
  riskSignals: [],
  atRisk: false,
  atRiskReasons: [],
  history: { complaintsInWindow: 1, open: 1 },
  possibleDuplicates: [],
  minimumTier: 1,
  ...over,
});

const refund = (amount: number, by: Actor = agent, limit: number | null = 100): Resolution => ({
  type: 'refund',
  amount,
  currency: 'EUR',
  summary: 'Refunded',
  rootCause: 'carrier_delay',
  appliedBy: by,
  authorityLimit: limit,
});

function waitingForAgent(): Complaint {
  const investigated = investigate(received, found(), policy, t0).complaint;
  return awaitPerson(
    investigated,
    'token-1',
    'agent',
    workflowState(investigated, t0).awaitSeconds,
    policy,
    t0,
  ).complaint;
}

describe('complaint lifecycle', () => {
  it('investigates: records triage and starts the first-response clock in business time', () => {
    const { complaint, audit } = investigate(received, found(), policy, t0);
    // 8 business hours from Monday 10:00 Berlin = Tuesday 10:00 Berlin.
    expect(complaint).toMatchObject({
      status: 'investigating',
      category: 'delivery',
      slaDueAt: '2026-11-24T09:00:00.000Z',
    });
    expect(audit).toMatchObject({
      action: 'startInvestigation',
      fromStatus: 'received',
      toStatus: 'investigating',
      version: 2,
    });
    expect(needsRiskEscalation(complaint)).toBe(false);
    expect(needsRiskEscalation(investigate(received, found({ minimumTier: 2 }), policy, t0).complaint)).toBe(
      true,
    );
  });

  it('stores the live token and its due time while waiting for a person', () => {
    const c = waitingForAgent();
    expect(c).toMatchObject({
      status: 'awaiting_agent',
      taskToken: 'token-1',
      waitingFor: 'agent',
      version: 3,
    });
  });

  it('walks the happy path: decision accepted, resolution applied, follow-up scheduled 2 business days later', () => {
    const decision: AgentDecision = { action: 'resolve', resolution: refund(40) };
    const deciding = acceptDecision(waitingForAgent(), accepted(decision), agent, t0).complaint;
    expect(deciding).toMatchObject({
      status: 'deciding',
      taskToken: undefined,
      assignee: 'agent-1',
      decidingFrom: 'awaiting_agent',
    });
    expect(deciding.firstResponseAt).toBe(t0.toISOString());
    const { complaint, audit } = applyResolution(deciding, policy, t0);
    expect(complaint).toMatchObject({
      status: 'resolved',
      followUp: { agentId: 'agent-1', attempts: 0, scheduledFor: '2026-11-25T09:00:00.000Z' },
    });
    expect(audit.details).toMatchObject({ amount: 40, authorityLimit: 100 });
  });

  it('refuses to apply a resolution above the authority of whoever applied it', () => {
    const deciding = acceptDecision(
      waitingForAgent(),
      accepted({ action: 'resolve', resolution: refund(500) }),
      agent,
      t0,
    ).complaint;
    expect(() => applyResolution(deciding, policy, t0)).toThrow(OverAuthorityError);
    const approved = accepted({ action: 'approve', resolution: refund(500, lead, 1000) });
    expect(applyResolution({ ...deciding, pendingDecision: approved }, policy, t0).complaint.status).toBe(
      'resolved',
    );
  });

  it('checks the total across a reopen: a second refund of 100 from tier 1 needs tier 2, counted once', () => {
    const first = applyResolution(
      acceptDecision(waitingForAgent(), accepted({ action: 'resolve', resolution: refund(100) }), agent, t0)
        .complaint,
      policy,
      t0,
    );
    expect(first.complaint.appliedTotal).toBe(100);
    expect(first.audit.details).toMatchObject({ amount: 100, alreadyApplied: 0, appliedTotal: 100 });
    // The customer writes again: reopened, investigated, back with an agent.
    const reopened = reopen(first.complaint, t0, { kind: 'customer', id: 'ann@example.org' }).complaint;
    const investigated = investigate(reopened, found(), policy, t0).complaint;
    const again = awaitPerson(investigated, 'token-9', 'agent', 3600, policy, t0).complaint;
    expect(again.appliedTotal).toBe(100);
    // A resolve that reached the workflow with a tier-1 role (the API checks the same total first).
    const second = acceptDecision(again, accepted({ action: 'resolve', resolution: refund(100) }), agent, t0);
    expect(() => applyResolution(second.complaint, policy, t0)).toThrow(
      expect.objectContaining({
        name: OverAuthorityError.errorName,
        details: expect.objectContaining({ value: 200, amount: 100, alreadyApplied: 100, limit: 100 }),
      }),
    );
    // Proposed through the API's check instead, it waits for tier 2; its event says why.
    const { appliedBy: _by, authorityLimit: _limit, ...asked } = refund(100);
    const proposal = proposeResolution(agent, asked, policy, t0, again.appliedTotal ?? 0);
    const proposed = acceptDecision(again, accepted(proposal), agent, t0);
    expect(domainEventOf('c1', proposed.audit)).toMatchObject({
      type: 'ResolutionProposed',
      data: { approverRole: 'tier2', alreadyApplied: 100, resolution: { amount: 100 } },
    });
    // Approved by tier 2, it is applied, and the total counts it once.
    const approved = accepted({ action: 'approve', resolution: refund(100, lead, 1000) });
    const applied = applyResolution({ ...second.complaint, pendingDecision: approved }, policy, t0);
    expect(applied.complaint).toMatchObject({ status: 'resolved', appliedTotal: 200 });
    expect(applied.audit.details).toMatchObject({ alreadyApplied: 100, appliedTotal: 200 });
    expect(domainEventOf('c1', applied.audit)?.data).toMatchObject({ appliedTotal: 200 });
    // A replay of the step meets the same decision again: refused, nothing counted twice.
    expect(() =>
      applyResolution({ ...applied.complaint, status: 'deciding', pendingDecision: approved }, policy, t0),
    ).toThrow(InvalidTransitionError);
    // An apology on top spends nothing: within tier 1, the total unchanged.
    const apology = { ...refund(0), type: 'apology' as const, amount: undefined, currency: undefined };
    const sorry = acceptDecision(
      awaitPerson(
        investigate(reopen(applied.complaint, t0, agent).complaint, found(), policy, t0).complaint,
        'token-10',
        'agent',
        3600,
        policy,
        t0,
      ).complaint,
      accepted({ action: 'resolve', resolution: apology }),
      agent,
      t0,
    ).complaint;
    expect(applyResolution(sorry, policy, t0).complaint.appliedTotal).toBe(200);
  });

  it('reads what a complaint resolved before the total was kept was paid from its timeline', () => {
    const first = applyResolution(
      acceptDecision(waitingForAgent(), accepted({ action: 'resolve', resolution: refund(80) }), agent, t0)
        .complaint,
      policy,
      t0,
    );
    // As stored before this change: no total.
    const { appliedTotal: _, ...legacy } = first.complaint;
    const reopened = reopen(legacy, t0, { kind: 'customer', id: 'ann@example.org' }).complaint;
    const again = awaitPerson(
      investigate(reopened, found(), policy, t0).complaint,
      'token-9',
      'agent',
      3600,
      policy,
      t0,
    ).complaint;
    const deciding = acceptDecision(
      again,
      accepted({ action: 'resolve', resolution: refund(20) }),
      agent,
      t0,
    ).complaint;
    expect(() => applyResolution(deciding, policy, t0)).toThrow(InvalidTransitionError);
    const applied = applyResolution(deciding, policy, t0, [first.audit]);
    expect(applied.complaint.appliedTotal).toBe(100);
    expect(applied.audit.details).toMatchObject({ alreadyApplied: 80, appliedTotal: 100 });
  });

  it('refuses moves that are not allowed from the current status', () => {
    expect(() => applyResolution(received, policy, t0)).toThrow(InvalidTransitionError);
    expect(() => close(received, 'satisfied', t0)).toThrow(InvalidTransitionError);
  });

  it('escalates one tier per breach and alerts the manager at the top tier', () => {
    const up = escalate(waitingForAgent(), 'sla_breach', policy, t0);
    expect(up.complaint).toMatchObject({ tier: 2, status: 'awaiting_agent', taskToken: undefined });
    expect(up).toMatchObject({ notifyRole: 'tier2', alertManager: false });
    const top = escalate({ ...up.complaint, tier: 3 }, 'sla_breach', policy, t0);
    expect(top).toMatchObject({ alertManager: true, notifyRole: 'manager' });
    expect(top.audit.details).toMatchObject({
      cause: 'sla_breach',
      fromTier: 3,
      toTier: 3,
      managerAlert: true,
    });
  });

  it('escalates on risk straight to the tier investigation asked for', () => {
    const investigated = investigate(
      received,
      found({ minimumTier: 3, riskSignals: [{ signal: 'legal_threat', evidence: 'lawyer' }] }),
      policy,
      t0,
    );
    expect(escalate(investigated.complaint, 'risk_signal', policy, t0).complaint.tier).toBe(3);
  });

  it('does not escalate on a timeout while a decision is in flight; an agent request escalates from it', () => {
    const deciding = acceptDecision(
      waitingForAgent(),
      accepted({ action: 'escalate', reason: 'needs billing', by: agent }),
      agent,
      t0,
    ).complaint;
    expect(() => escalate(deciding, 'sla_breach', policy, t0)).toThrow(ComplaintBusyError);
    const requested = escalate(deciding, 'agent_request', policy, t0);
    expect(requested.complaint).toMatchObject({ tier: 2, pendingDecision: undefined });
    expect(requested.audit).toMatchObject({
      actor: agent,
      details: { cause: 'agent_request', reason: 'needs billing' },
    });
    expect(releaseDecision(deciding, agent, t0).complaint).toMatchObject({
      status: 'awaiting_agent',
      pendingDecision: undefined,
    });
  });

  it('moves an overdue approval to the next role up', () => {
    const c = {
      ...waitingForAgent(),
      status: 'awaiting_approval' as const,
      proposal: {
        resolution: refund(500),
        proposedBy: agent,
        proposedAt: t0.toISOString(),
        proposerLimit: 100,
        approverRole: 'tier2' as const,
      },
    };
    const next = escalate(c, 'approval_timeout', policy, t0);
    expect(next.complaint.proposal?.approverRole).toBe('tier3');
    expect(next.notifyRole).toBe('tier3');
  });

  it('pauses the SLA while awaiting the customer and resumes it with the remaining budget', () => {
    const asked = acceptDecision(
      waitingForAgent(),
      accepted({ action: 'request_info', question: 'Order number?', by: agent, awaitSeconds: 60 }),
      agent,
      t0,
    ).complaint;
    const waiting = awaitPerson(asked, 'token-2', 'customer', 60, policy, t0).complaint;
    expect(waiting.sla?.pausedAt).toBe(t0.toISOString());
    const replied = acceptDecision(
      waiting,
      accepted({ action: 'customer_replied' }),
      { kind: 'customer', id: 'ann@example.org' },
      t0,
    ).complaint;
    // Answered a full day later: the clock resumes with the full budget it had left.
    const nextDay = new Date('2026-11-24T09:00:00Z');
    const resumed = requeue(replied, 'customer_replied', policy, nextDay).complaint;
    expect(resumed).toMatchObject({ status: 'awaiting_agent', slaDueAt: '2026-11-25T09:00:00.000Z' });
  });

  it('reopens an unsatisfied customer at priority + 1, and reopens by mail under a new execution', () => {
    const resolved = applyResolution(
      acceptDecision(waitingForAgent(), accepted({ action: 'resolve', resolution: refund(40) }), agent, t0)
        .complaint,
      policy,
      t0,
    ).complaint;
    const calling = awaitPerson(resolved, 'token-3', 'follow_up', 3600, policy, t0).complaint;
    expect(calling).toMatchObject({ status: 'awaiting_follow_up', assignee: 'agent-1' });
    const unhappy = acceptDecision(
      calling,
      accepted({ action: 'follow_up', outcome: 'unsatisfied', by: agent, via: 'call' }),
      agent,
      t0,
    ).complaint;
    expect(requeue(unhappy, 'unsatisfied', policy, t0).complaint).toMatchObject({
      status: 'awaiting_agent',
      priority: 'high',
      reopenCount: 1,
    });
    expect(reopen(resolved, t0, { kind: 'customer', id: 'ann@example.org' }).complaint).toMatchObject({
      status: 'reopened',
      priority: 'high',
      executionName: 'c1-r1',
    });
  });

  it('counts unreachable attempts, then falls back to the survey, and closes with the reason', () => {
    const resolved = applyResolution(
      acceptDecision(waitingForAgent(), accepted({ action: 'resolve', resolution: refund(40) }), agent, t0)
        .complaint,
      policy,
      t0,
    ).complaint;
    let c = awaitPerson(resolved, 't', 'follow_up', 3600, policy, t0).complaint;
    for (let attempt = 1; attempt <= policy.followUp.maxCallAttempts; attempt++) {
      const deciding = acceptDecision(
        c,
        accepted({ action: 'follow_up', outcome: 'unreachable', by: agent, via: 'call' }),
        agent,
        t0,
      ).complaint;
      const result = recordUnreachable(deciding, policy, t0);
      expect(result.attemptsLeft).toBe(policy.followUp.maxCallAttempts - attempt);
      c = awaitPerson(result.complaint, `t${attempt}`, 'follow_up', 3600, policy, t0).complaint;
    }
    const surveyed = sendSurvey({ ...c, taskToken: undefined }, policy, t0);
    expect(surveyed.complaint.followUp?.surveySentAt).toBe(t0.toISOString());
    const closed = close(surveyed.complaint, 'no_response', t0).complaint;
    expect(closed).toMatchObject({ status: 'closed', closure: { reason: 'no_response' } });
  });

  it('wakes the agent wait at the SLA warning mark and records the warning once per clock', () => {
    const c = waitingForAgent();
    // 80% of 8 business hours from Monday 10:00 Berlin: 16:24 Berlin; due Tuesday 10:00 Berlin.
    const warnAt = new Date('2026-11-23T15:24:00Z');
    expect(workflowState(c, t0)).toMatchObject({
      awaitSeconds: 24 * 3600,
      wakeSeconds: 6.4 * 3600,
      slaWarning: true,
    });
    expect(slaWarningDone(c, new Date(warnAt.getTime() - 1000))).toBe(true);
    expect(slaWarningDone(c, warnAt)).toBe(false);

    const { complaint: warned, audit } = warnSla(c, warnAt);
    expect(warned).toMatchObject({
      status: 'awaiting_agent',
      taskToken: undefined,
      spentTokens: ['token-1'],
      slaDueAt: '2026-11-24T09:00:00.000Z',
      sla: { target: 'firstResponse', warnedAt: warnAt.toISOString() },
    });
    expect(domainEventOf(c.id, audit)).toMatchObject({
      type: 'SlaWarning',
      eventId: audit.id,
      data: { target: 'firstResponse', warnAt: warnAt.toISOString(), dueAt: '2026-11-24T09:00:00.000Z' },
    });
    // The next wait runs to the deadline; a replay, or a stale delivery meeting that wait, does nothing.
    expect(workflowState(warned, warnAt)).toMatchObject({ slaWarning: false, wakeSeconds: 63_360 });
    expect(slaWarningDone(warned, warnAt)).toBe(true);
    const again = awaitPerson(warned, 'token-2', 'agent', 63_360, policy, warnAt).complaint;
    expect(slaWarningDone(again, warnAt)).toBe(true);
    // A breach starts a fresh clock for the next tier: it is warned about in its turn.
    const breach = new Date('2026-11-24T09:00:00Z');
    expect(workflowState(escalate(again, 'sla_breach', policy, breach).complaint, breach).slaWarning).toBe(
      true,
    );
  });

  it('records no SLA warning while the clock is paused, and waits for a decision in flight', () => {
    const c = waitingForAgent();
    const warnAt = new Date('2026-11-23T15:24:00Z');
    const paused = awaitPerson(
      acceptDecision(
        c,
        accepted({ action: 'request_info', question: 'Order number?', by: agent, awaitSeconds: 60 }),
        agent,
        t0,
      ).complaint,
      'token-c',
      'customer',
      60,
      policy,
      t0,
    ).complaint;
    expect(workflowState(paused, warnAt).slaWarning).toBe(false);
    expect(slaWarningDone(paused, warnAt)).toBe(true);

    const deciding = acceptDecision(
      c,
      accepted({ action: 'escalate', reason: 'billing', by: agent }),
      agent,
      warnAt,
    ).complaint;
    expect(slaWarningDone(deciding, warnAt)).toBe(false);
    expect(() => warnSla(deciding, warnAt)).toThrow(ComplaintBusyError);
    const later = new Date(warnAt.getTime() + 61_000);
    const result = warnSla(deciding, later);
    expect(result.released?.audit.details).toMatchObject({ reason: 'decision_abandoned' });
    expect(result.complaint.sla?.warnedAt).toBe(later.toISOString());
  });
});
