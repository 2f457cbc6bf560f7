import { describe, expect, it } from 'vitest';
import {
  type AcceptedDecision,
  allowedFrom,
  type Complaint,
  complaintStatuses,
  lifecycleActions,
  systemActor,
  transition,
  waitingKinds,
} from '../../functions/core/complaint';
import { ComplaintBusyError, InvalidTransitionError } from '../../functions/core/errors';
import {
  abandonedDecisionSeconds,
  acceptDecision,
  applyResolution,
  awaitPerson,
  decisionStrandedBy,
  escalate,
  escalationDone,
  failureRecorded,
  knownToken,
  pendingFor,
  recordFailure,
  releaseDecision,
  waitTimedOut,
} from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
const t0 = new Date('2026-11-23T09:00:00Z');
const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const };

const base: Complaint = {
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

const resolve: AcceptedDecision = {
  action: 'resolve',
  decisionId: 'd-1',
  resolution: {
    type: 'refund',
    amount: 40,
    currency: 'EUR',
    summary: 'Refund',
    rootCause: 'carrier_delay',
    appliedBy: agent,
    authorityLimit: 100,
  },
};

const waiting = (over: Partial<Complaint> = {}): Complaint => ({
  ...base,
  status: 'awaiting_agent',
  taskToken: 'token-1',
  waitingFor: 'agent',
  // Its deadline has come: a timeout step acts on it.
  slaDueAt: t0.toISOString(),
  ...over,
});

describe('transition table', () => {
  // Every event against every status: exactly the statuses of the table pass, all others throw.
  for (const action of lifecycleActions) {
    const kinds = action === 'awaitPerson' ? waitingKinds : [undefined];
    for (const waitingFor of kinds) {
      const event = waitingFor ? `${action}(${waitingFor})` : action;
      it(`${event} is taken from exactly ${allowedFrom(action, waitingFor).join(', ')}`, () => {
        const from = allowedFrom(action, waitingFor);
        for (const status of complaintStatuses) {
          const run = () =>
            transition(
              { ...base, status },
              action,
              status,
              systemActor,
              t0,
              waitingFor ? { waitingFor } : {},
            );
          if (from.includes(status)) expect(run, `${event} from ${status}`).not.toThrow();
          else expect(run, `${event} from ${status}`).toThrow(InvalidTransitionError);
        }
      });
    }
  }

  it('never registers a wait for the agent, the follow-up call or the survey from deciding or resolved', () => {
    for (const kind of ['agent', 'follow_up', 'survey', 'attention'] as const) {
      expect(allowedFrom('awaitPerson', kind)).not.toContain('deciding');
    }
    expect(allowedFrom('awaitPerson', 'agent')).not.toContain('resolved');
    expect(() => awaitPerson({ ...base, status: 'deciding' }, 't', 'agent', 60, policy, t0)).toThrow(
      InvalidTransitionError,
    );
    expect(() => awaitPerson({ ...base, status: 'resolved' }, 't', 'agent', 60, policy, t0)).toThrow(
      InvalidTransitionError,
    );
  });

  it('refuses awaitPerson without whom it waits for', () => {
    expect(() => allowedFrom('awaitPerson')).toThrow(InvalidTransitionError);
  });
});

describe('replay keys', () => {
  it('a registered or spent token is known: its registration replayed changes nothing', () => {
    const accepted = acceptDecision(waiting(), resolve, agent, t0).complaint;
    expect(knownToken(waiting(), 'token-1')).toBe(true);
    expect(knownToken(accepted, 'token-1')).toBe(true);
    expect(knownToken(accepted, 'token-2')).toBe(false);
    expect(accepted.spentTokens).toEqual(['token-1']);
  });

  it('a decision stranded by a re-entered wait is released and the wait registered again', () => {
    const deciding = acceptDecision(waiting(), resolve, agent, t0).complaint;
    expect(decisionStrandedBy(deciding, 'agent')).toEqual(resolve);
    const proposal = acceptDecision(
      waiting(),
      { action: 'request_info', question: 'Which?', by: agent, awaitSeconds: 60, decisionId: 'd-2' },
      agent,
      t0,
    ).complaint;
    // The wait a request for information leads to is not a stranding.
    expect(decisionStrandedBy(proposal, 'customer')).toBeUndefined();
    const released = releaseDecision(deciding, systemActor, t0, 'wait_restarted');
    expect(released.audit.details).toMatchObject({ reason: 'wait_restarted', decisionId: 'd-1' });
    const again = awaitPerson(released.complaint, 'token-2', 'agent', 60, policy, t0).complaint;
    expect(again).toMatchObject({
      status: 'awaiting_agent',
      taskToken: 'token-2',
      pendingDecision: undefined,
    });
  });

  it('a resolution is applied once per decision id', () => {
    const deciding = acceptDecision(waiting(), resolve, agent, t0).complaint;
    const resolved = applyResolution(deciding, policy, t0).complaint;
    expect(resolved.appliedDecisions).toEqual(['d-1']);
    expect(resolved.resolution?.decisionId).toBe('d-1');
    expect(pendingFor(resolved, ['resolve'])).toBeUndefined();
    // The same decision delivered again is refused, whatever the status says.
    expect(() =>
      applyResolution({ ...resolved, status: 'deciding', pendingDecision: resolve }, policy, t0),
    ).toThrow(InvalidTransitionError);
  });

  it('a timeout escalation consumes the live token; its replay finds nothing to do', () => {
    const up = escalate(waiting(), 'sla_breach', policy, t0).complaint;
    expect(escalationDone(waiting(), 'sla_breach', t0)).toBe(false);
    expect(escalationDone(up, 'sla_breach', t0)).toBe(true);
    expect(up.spentTokens).toEqual(['token-1']);
  });

  it('a timeout step acts only on a live wait past its midpoint: a stale one meets the next wait early', () => {
    const registered = awaitPerson(
      { ...base, status: 'investigating' },
      'token-5',
      'agent',
      3600,
      policy,
      t0,
    ).complaint;
    expect(registered.waitingSince).toBe(t0.toISOString());
    const early = new Date(t0.getTime() + 60_000);
    const late = new Date(t0.getTime() + 3_600_000);
    expect(waitTimedOut(registered, 'agent', early)).toBe(false);
    expect(escalationDone(registered, 'sla_breach', early)).toBe(true);
    expect(waitTimedOut(registered, 'agent', late)).toBe(true);
    expect(escalationDone(registered, 'sla_breach', late)).toBe(false);
    // A timeout of another kind of wait never acts on this one.
    expect(escalationDone(registered, 'approval_timeout', late)).toBe(true);
  });

  it('an agent request escalation consumes the decision; a risk escalation is done once the tier is high enough', () => {
    const deciding = acceptDecision(
      waiting(),
      { action: 'escalate', reason: 'billing', by: agent, decisionId: 'd-3' },
      agent,
      t0,
    ).complaint;
    expect(escalationDone(deciding, 'agent_request', t0)).toBe(false);
    expect(
      escalationDone(escalate(deciding, 'agent_request', policy, t0).complaint, 'agent_request', t0),
    ).toBe(true);
    expect(escalationDone({ ...base, status: 'awaiting_agent' }, 'risk_signal', t0)).toBe(true);
  });

  it('a timeout meeting a decision in flight waits; one abandoned for longer than the API can take is released', () => {
    const deciding = acceptDecision(waiting(), resolve, agent, t0).complaint;
    expect(() => escalate(deciding, 'sla_breach', policy, new Date(t0.getTime() + 5_000))).toThrow(
      ComplaintBusyError,
    );
    const later = new Date(t0.getTime() + (abandonedDecisionSeconds + 1) * 1000);
    const result = escalate(deciding, 'sla_breach', policy, later);
    expect(result.released?.audit).toMatchObject({ action: 'releaseDecision', toStatus: 'awaiting_agent' });
    expect(result.released?.complaint.version).toBe(deciding.version + 1);
    expect(result.complaint).toMatchObject({ status: 'awaiting_agent', tier: 2, pendingDecision: undefined });
    expect(result.complaint.version).toBe(deciding.version + 2);
  });

  it('a failure puts the complaint in the manager queue once; the manager wait timing out records it again', () => {
    const failed = recordFailure(
      waiting(),
      { state: 'ApplyResolution', error: 'OverAuthorityError', cause: 'x'.repeat(2000) },
      policy,
      t0,
    );
    expect(failed.complaint).toMatchObject({
      status: 'needs_attention',
      taskToken: undefined,
      failure: { state: 'ApplyResolution', error: 'OverAuthorityError' },
    });
    expect(failed.complaint.failure?.cause.length).toBe(500);
    expect(failed.audit.details).toMatchObject({ managerAlert: true });
    const failure = { state: 'ApplyResolution', error: 'OverAuthorityError' };
    expect(failureRecorded(failed.complaint, failure, t0)).toBe(true);
    const attention = awaitPerson(failed.complaint, 'token-9', 'attention', 60, policy, t0).complaint;
    expect(attention.status).toBe('needs_attention');
    // A late duplicate meets the manager's wait just after it began: nothing to record.
    expect(failureRecorded(attention, failure, new Date(t0.getTime() + 5_000))).toBe(true);
    // That wait timing out is a new failure of its own.
    const timedOut = { state: 'AwaitAttention', error: 'States.Timeout' };
    expect(failureRecorded(attention, timedOut, new Date(t0.getTime() + 60_000))).toBe(false);
    const again = recordFailure(
      attention,
      { ...timedOut, cause: '' },
      policy,
      new Date(t0.getTime() + 60_000),
    );
    expect(failureRecorded(again.complaint, timedOut, new Date(t0.getTime() + 60_000))).toBe(true);
    const next = awaitPerson(
      again.complaint,
      'token-10',
      'attention',
      60,
      policy,
      new Date(t0.getTime() + 60_000),
    );
    expect(failureRecorded(next.complaint, timedOut, new Date(t0.getTime() + 120_000))).toBe(false);
    // The manager decides like an agent.
    expect(acceptDecision(attention, resolve, { ...agent, role: 'manager' }, t0).complaint.status).toBe(
      'deciding',
    );
  });
});
