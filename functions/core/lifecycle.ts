import type {
  CloseReason,
  EscalationCause,
  KnownComplaint,
  RequeueReason,
  TaskOutput,
  WorkflowState,
} from '../../workflows/contract';
import { appliedSoFar, assessAuthority, authorityDetails } from './authority';
import {
  type AcceptedDecision,
  type Actor,
  type ClosureReason,
  type Complaint,
  type Decision,
  type FollowUpOutcome,
  type Resolution,
  type StepFailure,
  systemActor,
  type TimelineEntry,
  type TransitionResult,
  transition,
  type WaitingFor,
} from './complaint';
import { customerIdOf } from './customerId';
import { ComplaintBusyError, InvalidTransitionError, OverAuthorityError } from './errors';
import type { Investigation } from './investigation';
import { type AgentRole, type Policy, type Priority, priorities } from './policy';
import {
  addBusinessDelay,
  pauseSlaClock,
  resumeSlaClock,
  secondsUntil,
  slaBudget,
  startSlaClock,
} from './sla';

export type { CloseReason, EscalationCause, RequeueReason, WorkflowState };

export const roleOfTier = (tier: number): AgentRole => (tier >= 3 ? 'tier3' : tier === 2 ? 'tier2' : 'tier1');
const ladder: AgentRole[] = ['tier1', 'tier2', 'tier3', 'manager'];

/**
 * The state handed to the next workflow state: the time left to the complaint's current deadline, and
 * when the agent's wait wakes (the SLA warning mark first, if its warning is still to be recorded).
 */
export function workflowState(
  c: Complaint,
  now: Date,
  extra: Partial<Pick<WorkflowState, 'awaitSeconds' | 'riskEscalation'>> = {},
): WorkflowState {
  const due = c.sla && !c.sla.pausedAt ? c.sla.dueAt : c.slaDueAt;
  const awaitSeconds = Number(extra.awaitSeconds ?? (due ? secondsUntil(due, now) : 1));
  const warnAt = pendingSlaWarning(c);
  return {
    complaintId: c.id,
    tier: c.tier,
    ...extra,
    awaitSeconds,
    wakeSeconds: warnAt ? Math.min(secondsUntil(warnAt, now), awaitSeconds) : awaitSeconds,
    slaWarning: warnAt !== undefined,
    known: knownOf(c),
  };
}

/** What the workflow state may know of a complaint: ids, times and business fields, never personal data. */
export function knownOf(c: Complaint): KnownComplaint {
  const risks = c.investigation?.riskSignals.map((r) => r.signal);
  return {
    version: c.version,
    status: c.status,
    tier: c.tier,
    priority: c.priority,
    ...(c.category ? { category: c.category } : {}),
    customerId: customerIdOf(c.customerEmail),
    createdAt: c.createdAt,
    ...(risks?.length ? { riskSignals: risks } : {}),
    ...(c.slaDueAt ? { slaDueAt: c.slaDueAt } : {}),
    ...(c.sla ? { sla: c.sla } : {}),
    ...(c.firstResponseAt ? { firstResponseAt: c.firstResponseAt } : {}),
    ...(c.assignee ? { assignee: c.assignee } : {}),
    ...(c.followUp ? { followUp: c.followUp } : {}),
  };
}

/**
 * The complaint as far as the state knows it, for a change that reads nothing else (see
 * `registersFromKnown`): what the change sets or clears is exactly what it would on the stored item.
 * The customer is named by the pseudonym an erasure gives the address (`erased-<digest>@invalid`), from
 * which the audit facts derive the same customer id; the address itself is never in the state.
 */
export function complaintFromKnown(id: string, known: KnownComplaint): Complaint {
  const { customerId, riskSignals, followUpAgentId, followUp, ...fields } = known;
  return {
    id,
    ...fields,
    customerEmail: `erased-${customerId.replace(/^cus-/, '')}@invalid`,
    ...(riskSignals ? { investigation: { riskSignals: riskSignals.map((signal) => ({ signal })) } } : {}),
    ...(followUp ? { followUp } : followUpAgentId ? { followUp: { agentId: followUpAgentId } } : {}),
  } as Complaint;
}

/**
 * The complaint a close on an agent's satisfied follow-up call starts from, when the decision's task
 * output says all it reads: the complaint as the accepting write left it (`deciding`, its full
 * follow-up state) and the agent who decided. The pending decision is rebuilt from the output: the
 * close only reads its action, outcome and actor, and clears it. Undefined for any other close (an
 * agent's own close carries its reason on the complaint; a survey answer's actor is the customer).
 */
export function closesFromKnown(
  id: string,
  reason: CloseReason,
  decision: Pick<TaskOutput, 'decisionId' | 'action' | 'outcome' | 'known' | 'decidedBy'>,
): Complaint | undefined {
  const { known, decidedBy } = decision;
  if (reason !== 'satisfied' || decision.action !== 'follow_up' || decision.outcome !== 'satisfied') {
    return undefined;
  }
  if (!known || !decidedBy || known.status !== 'deciding' || !known.followUp) return undefined;
  return {
    ...complaintFromKnown(id, known),
    pendingDecision: {
      action: 'follow_up',
      outcome: 'satisfied',
      via: 'call',
      by: { kind: 'agent', ...decidedBy },
      decisionId: decision.decisionId,
    },
  };
}

/**
 * Whether a wait can be registered from what the state knows: the registration reads no decision (it
 * is not entered from `deciding`, where a pending decision may be stranded) and no proposal (the
 * approval queue is the proposal's approver role).
 */
export function registersFromKnown(known: KnownComplaint, waitingFor: WaitingFor): boolean {
  return known.status !== 'deciding' && waitingFor !== 'approval';
}

/**
 * The warning mark of the running SLA clock when its warning is still to be recorded: one SlaWarning
 * per clock (a fresh target after an escalation, a rejection or a reopen is a new clock; a pause keeps
 * the clock). None for a paused clock, or one whose mark is not before its due time.
 */
export function pendingSlaWarning(c: Pick<Complaint, 'sla'>): string | undefined {
  const clock = c.sla;
  if (!clock || clock.pausedAt !== undefined || clock.warnedAt !== undefined) return undefined;
  return Date.parse(clock.warnAt) < Date.parse(clock.dueAt) ? clock.warnAt : undefined;
}

/**
 * Whether RecordSlaWarning has nothing (left) to do: the warning of the clock is recorded (a replay,
 * or a stale delivery that meets the wait registered after it), the clock is paused or replaced, its
 * mark is not reached, or the complaint no longer waits for the agent. A decision in flight when the
 * wait woke is not "done": {@link warnSla} waits for it or releases it, as an escalation does.
 */
export function slaWarningDone(c: Complaint, now: Date): boolean {
  const warnAt = pendingSlaWarning(c);
  if (!warnAt || now.getTime() < Date.parse(warnAt)) return true;
  if (c.status === 'deciding') return c.decidingFrom !== 'awaiting_agent';
  return c.status !== 'awaiting_agent' || c.waitingFor !== 'agent' || !c.taskToken;
}

/**
 * The agent's SLA clock reached its warning mark (`policy.sla.warningRatio` of the budget, business
 * time): recorded once per clock as a state change (the SlaWarning event is published from its audit
 * entry). The wait that woke for it is over (its token spent); the workflow registers the agent's wait
 * again, until the deadline. A decision in flight is waited for or, once abandoned, released first.
 */
export function warnSla(c: Complaint, now: Date): TransitionResult & { released?: TransitionResult } {
  if (c.status === 'deciding') {
    if (!decisionAbandoned(c, now)) {
      throw new ComplaintBusyError('A decision is being applied', { complaintId: c.id });
    }
    const released = releaseDecision(c, systemActor, now, 'decision_abandoned');
    return { ...warnSla(released.complaint, now), released };
  }
  const clock = c.sla;
  if (!clock) throw new InvalidTransitionError('No SLA clock to warn about', { complaintId: c.id });
  return transition(
    c,
    'warnSla',
    'awaiting_agent',
    systemActor,
    now,
    clearDecision({ sla: { ...clock, warnedAt: now.toISOString() }, spentTokens: spend(c, c.taskToken) }),
    { target: clock.target, warnAt: clock.warnAt, dueAt: clock.dueAt },
  );
}

/** The SLA target an agent works against: first response until the customer has been answered. */
function agentClock(c: Complaint, priority: Priority, policy: Policy, now: Date) {
  const target = c.firstResponseAt ? 'resolution' : 'firstResponse';
  return startSlaClock(now, slaBudget(priority, target, policy), target, policy);
}

/**
 * Investigation: records triage, history and risk signals, and starts the SLA clock at the priority
 * the triage found. A reopened complaint keeps its tier and (raised) priority.
 */
export function investigate(c: Complaint, found: Investigation, policy: Policy, now: Date): TransitionResult {
  const reopened = c.status === 'reopened';
  const priority = reopened ? c.priority : found.priority;
  const sla = agentClock(c, priority, policy, now);
  return transition(
    c,
    'startInvestigation',
    'investigating',
    systemActor,
    now,
    { investigation: found, category: found.category, priority, sla, slaDueAt: sla.dueAt },
    {
      category: found.category,
      priority,
      sentiment: found.sentiment.label,
      riskSignals: found.riskSignals.map((r) => r.signal),
      atRisk: found.atRisk,
      possibleDuplicates: found.possibleDuplicates,
      ...(reopened ? { reopened: true } : {}),
    },
  );
}

/** Whether investigation found reasons to skip tier 1. */
export function needsRiskEscalation(c: Complaint): boolean {
  return (c.investigation?.minimumTier ?? 1) > c.tier;
}

const statusWhileWaiting: Record<WaitingFor, Complaint['status']> = {
  agent: 'awaiting_agent',
  approval: 'awaiting_approval',
  customer: 'awaiting_customer',
  follow_up: 'awaiting_follow_up',
  survey: 'awaiting_follow_up',
  attention: 'needs_attention',
};

/** How many consumed task tokens a complaint remembers (more than any replay window spans). */
const spentTokenMemory = 10;

/** The complaint's spent tokens with `token` added (the newest last). */
function spend(c: Complaint, token: string | undefined): string[] | undefined {
  if (!token) return c.spentTokens;
  return [...(c.spentTokens ?? []).filter((t) => t !== token), token].slice(-spentTokenMemory);
}

/** Whether a wait with this token was registered before: it is live, or a decision or timeout spent it. */
export function knownToken(c: Complaint, taskToken: string): boolean {
  return c.taskToken === taskToken || (c.spentTokens ?? []).includes(taskToken);
}

/** The decision a wait follows directly (the proposal waits for approval, the question for the customer). */
const decisionLeadingTo: Partial<Record<WaitingFor, Decision['action']>> = {
  approval: 'request_approval',
  customer: 'request_info',
};

/**
 * The order key of one entry of a wait state: when the state machine entered it (an ISO time) and the
 * attempt within that entry, so that later entries and later attempts sort after earlier ones.
 */
export const waitEntryOf = (enteredAt: string, retryCount = 0): string =>
  `${enteredAt}#${String(retryCount).padStart(4, '0')}`;

/**
 * Whether a wait's registration comes from an earlier entry of its state than the wait the complaint
 * registered last: Lambda delivered it late (the invocation was retried or queued while its task timed
 * out and the state machine entered the wait again). Its token is dead, and it must neither replace the
 * live one nor release a decision accepted on it.
 */
export function staleWaitEntry(c: Complaint, entry: string | undefined): boolean {
  return entry !== undefined && c.waitEntry !== undefined && entry < c.waitEntry;
}

/**
 * A wait was entered again (with a new token) while a decision accepted for an earlier one is still
 * pending: the execution ran the wait once more (a restarted run), so the earlier token is dead and the
 * decision would never reach the workflow. The decision when `waitingFor` is not the wait it leads to;
 * the caller releases it, visibly, and the person decides again on the new wait.
 */
export function decisionStrandedBy(c: Complaint, waitingFor: WaitingFor): AcceptedDecision | undefined {
  if (c.status !== 'deciding' || !c.pendingDecision) return undefined;
  return decisionLeadingTo[waitingFor] === c.pendingDecision.action ? undefined : c.pendingDecision;
}

/**
 * The workflow waits for a person: the live callback token is stored on the complaint. Its due time is
 * the task's own timeout, so what the queue shows is exactly when the workflow escalates. Waiting for
 * the customer pauses the SLA clock; the follow-up call goes to the resolving agent.
 */
export function awaitPerson(
  c: Complaint,
  taskToken: string,
  waitingFor: WaitingFor,
  awaitSeconds: number,
  policy: Policy,
  now: Date,
  /** Which entry of its state the wait came from (`waitEntryOf`), when the state machine said. */
  entry?: string,
): TransitionResult {
  const due = new Date(now.getTime() + awaitSeconds * 1000).toISOString();
  // The decision that led here has been acted on by the workflow; a proposal now waits for approval.
  const changes: Partial<Complaint> = clearDecision({
    waitingFor,
    slaDueAt: due,
    waitingSince: now.toISOString(),
  });
  changes.taskToken = taskToken;
  if (entry !== undefined) changes.waitEntry = entry;
  if (waitingFor === 'approval' && c.pendingDecision?.action === 'request_approval') {
    changes.proposal = c.pendingDecision.proposal;
  }
  if (waitingFor === 'customer' && c.sla) changes.sla = pauseSlaClock(c.sla, now, policy);
  if (waitingFor === 'follow_up' && c.followUp) changes.assignee = c.followUp.agentId;
  return transition(c, 'awaitPerson', statusWhileWaiting[waitingFor], systemActor, now, changes, {
    waitingFor,
    dueAt: due,
  });
}

/**
 * A person's decision is accepted and the live token consumed (conditional write: of two people
 * acting at once exactly one wins). The workflow applies it once it receives the task output.
 */
export function acceptDecision(
  c: Complaint,
  decision: AcceptedDecision,
  actor: Actor,
  now: Date,
): TransitionResult {
  const contactsCustomer = decision.action === 'resolve' || decision.action === 'request_info';
  return transition(
    c,
    'acceptDecision',
    'deciding',
    actor,
    now,
    {
      pendingDecision: decision,
      decidingFrom: c.status,
      decidingSince: now.toISOString(),
      spentTokens: spend(c, c.taskToken),
      taskToken: undefined,
      waitingFor: undefined,
      waitingSince: undefined,
      ...(actor.kind === 'agent' && c.waitingFor === 'agent' ? { assignee: actor.id } : {}),
      ...(contactsCustomer && !c.firstResponseAt ? { firstResponseAt: now.toISOString() } : {}),
    },
    { decision: decision.action, decisionId: decision.decisionId, ...decisionFacts(decision) },
  );
}

/** What a decision's audit event records of it for reporting: business fields, never free text. */
function decisionFacts(decision: Decision): Record<string, unknown> {
  switch (decision.action) {
    case 'resolve':
    case 'approve':
      return { resolution: resolutionFacts(decision.resolution) };
    case 'request_approval':
      return {
        resolution: resolutionFacts(decision.proposal.resolution),
        approverRole: decision.proposal.approverRole,
        ...(decision.proposal.alreadyApplied ? { alreadyApplied: decision.proposal.alreadyApplied } : {}),
      };
    case 'follow_up':
      return { outcome: decision.outcome, via: decision.via };
    default:
      return {};
  }
}

const resolutionFacts = (r: Pick<Resolution, 'type' | 'amount' | 'currency' | 'rootCause'>) => ({
  type: r.type,
  ...(r.amount !== undefined ? { amount: r.amount } : {}),
  ...(r.currency ? { currency: r.currency } : {}),
  rootCause: r.rootCause,
});

/** The workflow had moved on before the decision reached it: the claim is released, nothing applied. */
export function releaseDecision(
  c: Complaint,
  actor: Actor,
  now: Date,
  reason: 'workflow_moved_on' | 'decision_abandoned' | 'wait_restarted' = 'workflow_moved_on',
): TransitionResult {
  return transition(
    c,
    'releaseDecision',
    c.decidingFrom ?? 'awaiting_agent',
    actor,
    now,
    { pendingDecision: undefined, decidingFrom: undefined, decidingSince: undefined },
    { reason, decisionId: c.pendingDecision?.decisionId },
  );
}

/**
 * A decision still pending this long after its acceptance was abandoned by the API call that accepted
 * it: API Gateway ends every integration after 30 s, so no live request can still be handing it over.
 */
export const abandonedDecisionSeconds = 60;

export function decisionAbandoned(c: Complaint, now: Date): boolean {
  if (c.status !== 'deciding' || !c.decidingSince) return false;
  return now.getTime() - new Date(c.decidingSince).getTime() > abandonedDecisionSeconds * 1000;
}

/**
 * Whether the live wait (of this kind) is the one whose timeout a step handles: it must be over its
 * midpoint. The task's timeout fires at its deadline (`slaDueAt`, give or take the registration's own
 * latency), while a stale timeout step delivered late meets the next wait just after it began. Together
 * with the token a timeout consumes, this keys every timeout step to the wait that timed out.
 */
export function waitTimedOut(c: Complaint, kind: WaitingFor, now: Date): boolean {
  if (!c.taskToken || c.waitingFor !== kind || !c.slaDueAt) return false;
  const due = new Date(c.slaDueAt).getTime();
  const since = c.waitingSince ? new Date(c.waitingSince).getTime() : due;
  return now.getTime() >= since + (due - since) / 2;
}

/** The wait whose timeout each timeout cause handles. */
const timedOutWait: Partial<Record<EscalationCause, WaitingFor>> = {
  sla_breach: 'agent',
  approval_timeout: 'approval',
  follow_up_overdue: 'follow_up',
};

/** Causes that follow the timeout of a wait: the escalation consumes that wait's token. */
export function isTimeoutCause(cause: EscalationCause): boolean {
  return cause === 'sla_breach' || cause === 'approval_timeout' || cause === 'follow_up_overdue';
}

/**
 * Whether an escalation step has nothing (left) to do: a replay or a stale delivery. A timeout consumes
 * the live token of the wait that timed out (a replay finds it gone, a stale one finds a newer wait that
 * has not timed out); a risk escalation is done once the tier is high enough; an agent's request is
 * consumed with their pending decision.
 */
export function escalationDone(c: Complaint, cause: EscalationCause, now: Date): boolean {
  if (cause === 'risk_signal') return c.status !== 'investigating' || !needsRiskEscalation(c);
  if (cause === 'agent_request') return c.status !== 'deciding' || c.pendingDecision?.action !== 'escalate';
  // A decision in flight when the wait timed out: escalate() waits for it or releases it.
  if (c.status === 'deciding') return false;
  const kind = timedOutWait[cause];
  return !kind || !waitTimedOut(c, kind, now);
}

export interface Escalation extends TransitionResult {
  /** Role to notify that the complaint is now theirs. */
  notifyRole: AgentRole;
  /** True when a breach happened at the top tier: the manager is alerted. */
  alertManager: boolean;
  /**
   * The abandoned decision released first: saved before the escalation (each save is conditional on
   * the version before it, so the two changes are two writes).
   */
  released?: TransitionResult;
}

/**
 * Escalation, with its cause in the audit event:
 * - SLA breach, agent request: tier + 1 (tier 3 is the top; a breach there alerts the manager), a fresh
 *   SLA target for the new tier, out of the previous agent's hands;
 * - risk signal: straight to the tier investigation asked for (2 or 3);
 * - approval timeout: the next role up approves, with a fresh approval SLA;
 * - follow-up overdue: the call moves to the next tier.
 */
export function escalate(
  c: Complaint,
  cause: EscalationCause,
  policy: Policy,
  now: Date,
  actor: Actor = systemActor,
): Escalation {
  const requested = cause === 'agent_request';
  if (c.status === 'deciding' && !requested) {
    // The wait timed out, so the decision never reaches the workflow: while the API may still be
    // handing it over (it then releases it) the step retries; an abandoned one is released here.
    if (!decisionAbandoned(c, now)) {
      throw new ComplaintBusyError('A decision is being applied', { complaintId: c.id });
    }
    const released = releaseDecision(c, actor, now, 'decision_abandoned');
    return { ...escalate(released.complaint, cause, policy, now, actor), released };
  }
  const by = requested && c.pendingDecision?.action === 'escalate' ? c.pendingDecision.by : actor;
  if (cause === 'approval_timeout') {
    const from = c.proposal?.approverRole ?? 'tier2';
    const to = ladder[Math.min(ladder.indexOf(from) + 1, ladder.length - 1)] as AgentRole;
    const sla = startSlaClock(now, policy.approval.responseSeconds, 'approval', policy);
    const result = transition(
      c,
      'escalate',
      'awaiting_approval',
      actor,
      now,
      clearDecision({
        ...(c.proposal ? { proposal: { ...c.proposal, approverRole: to } } : {}),
        sla,
        slaDueAt: sla.dueAt,
        spentTokens: spend(c, c.taskToken),
      }),
      { cause, fromRole: from, toRole: to, ...(from === 'manager' ? { managerAlert: true } : {}) },
    );
    return { ...result, notifyRole: to, alertManager: from === 'manager' };
  }
  const atTop = c.tier === 3;
  const target =
    cause === 'risk_signal'
      ? Math.max(c.tier, c.investigation?.minimumTier ?? c.tier + 1)
      : Math.min(3, c.tier + 1);
  const tier = Math.min(3, target) as 1 | 2 | 3;
  const alertManager = atTop && cause === 'sla_breach';
  const status = cause === 'follow_up_overdue' ? 'awaiting_follow_up' : 'awaiting_agent';
  const sla =
    cause === 'follow_up_overdue'
      ? startSlaClock(now, policy.followUp.callSlaSeconds, 'followUpCall', policy)
      : agentClock(c, c.priority, policy, now);
  const result = transition(
    c,
    'escalate',
    status,
    by,
    now,
    clearDecision({
      tier,
      sla,
      slaDueAt: sla.dueAt,
      assignee: undefined,
      spentTokens: spend(c, c.taskToken),
    }),
    {
      cause,
      fromTier: c.tier,
      toTier: tier,
      ...(requested && c.pendingDecision?.action === 'escalate' ? { reason: c.pendingDecision.reason } : {}),
      ...(alertManager ? { managerAlert: true } : {}),
    },
  );
  return { ...result, notifyRole: alertManager ? 'manager' : roleOfTier(tier), alertManager };
}

/**
 * Applies the resolution of the pending decision (an agent's resolve or an approval). The authority
 * check runs again here, server-side, on the role of whoever applied it (the agent, or the approver):
 * no client value is trusted and no path bypasses it. It checks the complaint's total: the refunds and
 * credits applied before (`appliedSoFar`: the stored total, else what `timeline` records) plus this
 * one, which becomes the stored total. Keyed by the decision: its id is recorded with the new total in
 * one write, and a decision already applied is refused, so a replayed step never applies (or pays, or
 * counts) a resolution twice. Schedules the follow-up call after the policy delay in business time.
 */
export function applyResolution(
  c: Complaint,
  policy: Policy,
  now: Date,
  /** The complaint's timeline: read only for a complaint resolved before its total was stored. */
  timeline?: readonly TimelineEntry[],
): TransitionResult {
  const decision = c.pendingDecision;
  const resolution =
    decision?.action === 'resolve' || decision?.action === 'approve' ? decision.resolution : undefined;
  if (!decision || !resolution) {
    throw new InvalidTransitionError('No resolution to apply', { decision: decision?.action });
  }
  if (c.appliedDecisions?.includes(decision.decisionId)) {
    throw new InvalidTransitionError('This decision has been applied already', {
      decisionId: decision.decisionId,
    });
  }
  const alreadyApplied = appliedSoFar(c, timeline, policy.currency);
  if (alreadyApplied === undefined) {
    throw new InvalidTransitionError('What the complaint was paid before needs its timeline', {
      complaintId: c.id,
    });
  }
  const role = resolution.appliedBy.role;
  const check = role ? assessAuthority(role, resolution, policy, alreadyApplied) : undefined;
  if (!check?.withinAuthority) {
    throw new OverAuthorityError('The resolution exceeds the authority of whoever applied it', {
      role,
      ...(check ? authorityDetails(check) : { alreadyApplied }),
    });
  }
  const followUpAt = addBusinessDelay(now, policy.followUp.delaySeconds, policy).toISOString();
  const applied = {
    ...resolution,
    authorityLimit: check.limit,
    appliedAt: now.toISOString(),
    decisionId: decision.decisionId,
  };
  return transition(
    c,
    'applyResolution',
    'resolved',
    resolution.appliedBy,
    now,
    {
      resolution: applied,
      appliedDecisions: [...(c.appliedDecisions ?? []), decision.decisionId],
      appliedTotal: check.value,
      pendingDecision: undefined,
      decidingFrom: undefined,
      decidingSince: undefined,
      proposal: undefined,
      sla: undefined,
      slaDueAt: undefined,
      followUp: {
        agentId: c.proposal?.proposedBy.id ?? resolution.appliedBy.id,
        scheduledFor: followUpAt,
        attempts: 0,
      },
    },
    {
      decisionId: decision.decisionId,
      type: applied.type,
      amount: applied.amount,
      currency: applied.currency,
      rootCause: applied.rootCause,
      authorityLimit: applied.authorityLimit,
      alreadyApplied,
      appliedTotal: check.value,
      ...(c.proposal
        ? { proposedBy: c.proposal.proposedBy.id, proposerLimit: c.proposal.proposerLimit }
        : {}),
    },
  );
}

/**
 * Back to an agent: the customer answered (the SLA clock resumes where it paused), the approver
 * rejected the proposal (with the reason, to the proposing agent), or the customer is unsatisfied
 * (reopened at priority + 1 with a fresh target).
 */
export function requeue(c: Complaint, reason: RequeueReason, policy: Policy, now: Date): TransitionResult {
  const decision = c.pendingDecision;
  if (reason === 'customer_replied') {
    const sla = c.sla ? resumeSlaClock(c.sla, now, policy) : agentClock(c, c.priority, policy, now);
    return transition(
      c,
      'requeue',
      'awaiting_agent',
      systemActor,
      now,
      clearDecision({ sla, slaDueAt: sla.dueAt }),
      {
        reason,
      },
    );
  }
  if (reason === 'approval_rejected') {
    const rejection = decision?.action === 'reject' ? decision.rejection : undefined;
    const sla = agentClock(c, c.priority, policy, now);
    return transition(
      c,
      'requeue',
      'awaiting_agent',
      rejection?.by ?? systemActor,
      now,
      clearDecision({
        sla,
        slaDueAt: sla.dueAt,
        proposal: undefined,
        ...(rejection ? { lastRejection: rejection } : {}),
        ...(c.proposal ? { assignee: c.proposal.proposedBy.id } : {}),
      }),
      { reason, ...(rejection ? { rejectedBy: rejection.by.id, rejectionReason: rejection.reason } : {}) },
    );
  }
  const priority = priorities[
    Math.min(priorities.indexOf(c.priority) + 1, priorities.length - 1)
  ] as Priority;
  const sla = startSlaClock(now, slaBudget(priority, 'firstResponse', policy), 'firstResponse', policy);
  const by = decision?.action === 'follow_up' ? decision.by : systemActor;
  return transition(
    c,
    'requeue',
    'awaiting_agent',
    by,
    now,
    clearDecision({ priority, sla, slaDueAt: sla.dueAt, reopenCount: (c.reopenCount ?? 0) + 1 }),
    { reason, fromPriority: c.priority, toPriority: priority },
  );
}

/**
 * The pending decision when it is one of `actions` (for follow-up outcomes: with one of `outcomes`).
 * A step that acts on a decision consumes it; a replayed or stale step finds none and changes nothing.
 */
export function pendingFor(
  c: Complaint,
  actions: readonly Decision['action'][],
  outcomes?: readonly FollowUpOutcome['outcome'][],
): AcceptedDecision | undefined {
  const decision = c.status === 'deciding' ? c.pendingDecision : undefined;
  if (!decision || !actions.includes(decision.action)) return undefined;
  if (outcomes && !(decision.action === 'follow_up' && outcomes.includes(decision.outcome))) return undefined;
  return decision;
}

/** The decision has been acted on; the token (and whom it waited for) is gone. */
function clearDecision(changes: Partial<Complaint>): Partial<Complaint> {
  return {
    pendingDecision: undefined,
    decidingFrom: undefined,
    decidingSince: undefined,
    taskToken: undefined,
    waitingFor: undefined,
    waitingSince: undefined,
    ...changes,
  };
}

/** The customer has not answered the request for information: one reminder, then a last wait. */
export function remindCustomer(c: Complaint, policy: Policy, now: Date): TransitionResult {
  return transition(
    c,
    'remindCustomer',
    'awaiting_customer',
    systemActor,
    now,
    clearDecision({ spentTokens: spend(c, c.taskToken) }),
    {
      closesAfterSeconds: policy.infoRequest.closeAfterSeconds,
    },
  );
}

/**
 * The customer could not be reached for the follow-up call: counts the attempt and says whether to
 * retry (after the retry delay, business time) or fall back to the satisfaction email.
 */
export function recordUnreachable(
  c: Complaint,
  policy: Policy,
  now: Date,
): TransitionResult & { attemptsLeft: number; retryAt: string } {
  const attempts = (c.followUp?.attempts ?? 0) + 1;
  const attemptsLeft = Math.max(0, policy.followUp.maxCallAttempts - attempts);
  const retryAt = addBusinessDelay(now, policy.followUp.retryDelaySeconds, policy).toISOString();
  const followUp = {
    ...(c.followUp ?? { agentId: '', scheduledFor: retryAt }),
    attempts,
    lastOutcome: 'unreachable' as const,
  };
  const by = c.pendingDecision?.action === 'follow_up' ? c.pendingDecision.by : systemActor;
  const result = transition(
    c,
    'recordUnreachable',
    'awaiting_follow_up',
    by,
    now,
    clearDecision({ followUp: attemptsLeft > 0 ? { ...followUp, scheduledFor: retryAt } : followUp }),
    { attempts, attemptsLeft },
  );
  return { ...result, attemptsLeft, retryAt };
}

/** After the last unreachable attempt: the customer gets a satisfaction email with an expiring link. */
export function sendSurvey(
  c: Complaint,
  policy: Policy,
  now: Date,
): TransitionResult & { expiresAt: string } {
  const expiresAt = surveyExpiry(now.toISOString(), policy);
  const followUp = c.followUp ? { ...c.followUp, surveySentAt: now.toISOString() } : undefined;
  const result = transition(
    c,
    'sendSurvey',
    'awaiting_follow_up',
    systemActor,
    now,
    clearDecision({ ...(followUp ? { followUp } : {}) }),
    { expiresAt },
  );
  return { ...result, expiresAt };
}

/** Whether the survey of the current follow-up went out already (a replayed SendSurvey finds it). */
export function surveySent(c: Complaint): boolean {
  return c.followUp?.surveySentAt !== undefined;
}

/** The survey link's expiry: a fixed lifetime after it was sent. */
export function surveyExpiry(sentAt: string, policy: Policy): string {
  return new Date(
    new Date(sentAt).getTime() + policy.followUp.surveyLinkLifetimeSeconds * 1000,
  ).toISOString();
}

/**
 * An agent as the closure records them, by id and role: their address is on the entry that accepted
 * their decision, and the close can then be made from what the workflow state knows (see
 * `closeFromKnown`). A customer's id is their address, so their actor is kept as it is.
 */
function withoutAddress(actor: Actor): Actor {
  if (actor.kind !== 'agent') return actor;
  return { kind: actor.kind, id: actor.id, ...(actor.role ? { role: actor.role } : {}) };
}

/** Closes the complaint; it leaves every queue. An agent's close carries its own reason. */
export function close(c: Complaint, reason: CloseReason, now: Date): TransitionResult {
  const decision = c.pendingDecision;
  const agentClose = reason === 'agent' && decision?.action === 'close' ? decision : undefined;
  if (reason === 'agent' && !agentClose) {
    throw new InvalidTransitionError('An agent close needs the agent decision', { complaintId: c.id });
  }
  const closureReason: ClosureReason = agentClose
    ? agentClose.reason
    : (reason as Exclude<CloseReason, 'agent'>);
  const by = withoutAddress(agentClose?.by ?? (decision?.action === 'follow_up' ? decision.by : systemActor));
  const followUp =
    c.followUp && decision?.action === 'follow_up'
      ? { ...c.followUp, lastOutcome: decision.outcome }
      : c.followUp;
  return transition(
    c,
    'close',
    'closed',
    by,
    now,
    clearDecision({
      closure: {
        reason: closureReason,
        at: now.toISOString(),
        by,
        ...(agentClose?.mergedInto ? { mergedInto: agentClose.mergedInto } : {}),
      },
      sla: undefined,
      slaDueAt: undefined,
      assignee: undefined,
      waitingFor: undefined,
      // From `deciding` there is no live token, and the spent ones stay as they are.
      ...(c.taskToken ? { spentTokens: spend(c, c.taskToken) } : {}),
      ...(followUp ? { followUp } : {}),
    }),
    { reason: closureReason, ...(agentClose?.mergedInto ? { mergedInto: agentClose.mergedInto } : {}) },
  );
}

/**
 * The customer wrote after the resolution (or after closure, within the reopen window): the complaint
 * reopens at priority + 1 and a new execution investigates it again.
 */
export function reopen(c: Complaint, now: Date, actor: Actor): TransitionResult {
  const priority = priorities[
    Math.min(priorities.indexOf(c.priority) + 1, priorities.length - 1)
  ] as Priority;
  const reopenCount = (c.reopenCount ?? 0) + 1;
  return transition(
    c,
    'reopen',
    'reopened',
    actor,
    now,
    clearDecision({
      priority,
      reopenCount,
      executionName: executionNameOf(c.id, reopenCount),
      waitingFor: undefined,
      closure: undefined,
      sla: undefined,
      slaDueAt: undefined,
    }),
    { fromPriority: c.priority, toPriority: priority, via: 'customer_mail' },
  );
}

/** Longest cause kept on the complaint: the execution history has the full error. */
const maxCauseLength = 500;

/**
 * A workflow step failed after its retries (caught by the state machine): the complaint goes to the
 * manager's queue (`needs_attention`) with the failed state, the error name and a short cause, and a
 * fresh resolution target at its priority for the manager. Any decision in flight and the live wait
 * are over: the manager decides anew, and the decision routes like an agent's.
 */
export function recordFailure(
  c: Complaint,
  failed: Omit<StepFailure, 'at'>,
  policy: Policy,
  now: Date,
): TransitionResult {
  const failure: StepFailure = {
    ...failed,
    cause: failed.cause.slice(0, maxCauseLength),
    at: now.toISOString(),
  };
  const sla = startSlaClock(now, slaBudget(c.priority, 'resolution', policy), 'resolution', policy);
  return transition(
    c,
    'recordFailure',
    'needs_attention',
    systemActor,
    now,
    clearDecision({
      failure,
      sla,
      slaDueAt: sla.dueAt,
      assignee: undefined,
      spentTokens: spend(c, c.taskToken),
    }),
    {
      state: failure.state,
      error: failure.error,
      cause: failure.cause,
      managerAlert: true,
      // The decision the failed step was applying, for the manager who decides anew.
      ...(c.pendingDecision ? { pendingDecision: c.pendingDecision } : {}),
    },
  );
}

/**
 * The Step Functions execution of a complaint: named after it, then `<id>-r<n>` after the n-th reopen
 * (a name is used once, so each reopen needs its own).
 */
export const executionNameOf = (complaintId: string, reopenCount = 0): string =>
  reopenCount > 0 ? `${complaintId}-r${reopenCount}` : complaintId;

/**
 * Whether RecordFailure already recorded this failure (a replay of the step). A replay in place finds
 * it recorded and no wait yet; a late duplicate finds the manager's wait that followed it, not yet timed
 * out (past its midpoint, as for every timeout step). A timeout of that wait is a new failure: recorded
 * again, and the manager alerted again.
 */
export function failureRecorded(
  c: Complaint,
  failed: Pick<StepFailure, 'state' | 'error'>,
  now: Date,
): boolean {
  if (
    c.status !== 'needs_attention' ||
    c.failure?.state !== failed.state ||
    c.failure.error !== failed.error
  ) {
    return false;
  }
  return !c.taskToken || !waitTimedOut(c, 'attention', now);
}
