import {
  type Actor,
  type AgentDecision,
  type Complaint,
  systemActor,
  type TransitionResult,
  transition,
} from './complaint';
import { DomainError } from './errors';
import type { Policy } from './policy';
import { secondsUntil, slaDueAt } from './sla';

/** What each workflow step returns: the input of the next state. */
export interface WorkflowState {
  complaintId: string;
  tier: number;
  /** Seconds the next callback task may wait (its `TimeoutSecondsPath`). */
  awaitSeconds: number;
}

/**
 * The escalation step found an agent's decision in flight (status `deciding`): the workflow retries
 * it (Retry on this error name) until the API has either completed the task or released its claim.
 */
export class ComplaintBusyError extends DomainError {}

export function workflowState(c: Complaint, now: Date): WorkflowState {
  return { complaintId: c.id, tier: c.tier, awaitSeconds: c.slaDueAt ? secondsUntil(c.slaDueAt, now) : 1 };
}

/** Investigation: sets the SLA clock running for the first response and queues the complaint at tier 1. */
export function investigate(c: Complaint, policy: Policy, now: Date): TransitionResult {
  const due = slaDueAt(now, c.priority, 'firstResponse', policy);
  return transition(c, 'startInvestigation', 'investigating', systemActor, now, {
    slaDueAt: due.toISOString(),
  });
}

/** The workflow waits for an agent: the live callback token is stored on the complaint. */
export function awaitAgent(c: Complaint, taskToken: string, now: Date): TransitionResult {
  return transition(c, 'awaitAgent', 'awaiting_agent', systemActor, now, { taskToken });
}

export type EscalationCause = 'sla_breach' | 'agent_request' | 'risk_signal';

/**
 * Escalation: one tier up (tier 3 is the top of the agent ladder; a breach there is flagged for the
 * manager) with a fresh first-response target, and out of any agent's hands.
 */
export function escalate(
  c: Complaint,
  cause: EscalationCause,
  policy: Policy,
  now: Date,
  actor: Actor = systemActor,
) {
  if (c.status === 'deciding') {
    throw new ComplaintBusyError('An agent decision is being applied', { complaintId: c.id });
  }
  const atTop = c.tier === 3;
  const tier = atTop ? 3 : ((c.tier + 1) as 2 | 3);
  const due = slaDueAt(now, c.priority, 'firstResponse', policy);
  return transition(
    c,
    'escalate',
    'awaiting_agent',
    actor,
    now,
    { tier, slaDueAt: due.toISOString(), taskToken: undefined, assignee: undefined },
    { cause, fromTier: c.tier, toTier: tier, ...(atTop ? { managerAlert: true } : {}) },
  );
}

/** The API hands an agent's decision to the workflow: the live token is consumed (one winner). */
export function acceptDecision(
  c: Complaint,
  decision: AgentDecision,
  actor: Actor,
  now: Date,
): TransitionResult {
  return transition(
    c,
    'acceptDecision',
    'deciding',
    actor,
    now,
    { pendingDecision: decision, taskToken: undefined, assignee: actor.id },
    { decision: decision.action },
  );
}

/** The workflow had moved on before the decision reached it: the claim is released, nothing applied. */
export function releaseDecision(c: Complaint, actor: Actor, now: Date): TransitionResult {
  return transition(
    c,
    'releaseDecision',
    'awaiting_agent',
    actor,
    now,
    { pendingDecision: undefined },
    {
      reason: 'workflow_moved_on',
    },
  );
}

/** Applies a resolution the workflow received from AwaitAgent. */
export function applyResolution(c: Complaint, decision: AgentDecision, now: Date): TransitionResult {
  const resolution = { ...decision.resolution, appliedAt: now.toISOString() };
  return transition(
    c,
    'applyResolution',
    'resolved',
    decision.resolution.appliedBy,
    now,
    { resolution, pendingDecision: undefined, slaDueAt: undefined },
    {
      type: resolution.type,
      amount: resolution.amount,
      currency: resolution.currency,
      authorityLimit: resolution.authorityLimit,
    },
  );
}
