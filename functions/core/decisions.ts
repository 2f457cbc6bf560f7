import { type AuthorityAssessment, assessAuthority, authorityDetails } from './authority';
import type {
  Actor,
  AgentDecision,
  ApprovalDecision,
  ClosureReason,
  Complaint,
  FollowUpOutcome,
  Resolution,
  WaitingFor,
} from './complaint';
import { ConflictError, ForbiddenError, OverAuthorityError } from './errors';
import { type AgentRole, agentRoles, type Policy } from './policy';
import { addBusinessDelay, secondsUntil } from './sla';

/** An agent's identity as the API verified it. */
export type Agent = Actor & { role: AgentRole };

const rank = (role: AgentRole) => agentRoles.indexOf(role);

/** The decision a route may hand over only while the workflow waits for that kind of person. */
export function assertWaitingFor(c: Complaint, expected: WaitingFor | readonly WaitingFor[]): string {
  const kinds: readonly WaitingFor[] = Array.isArray(expected) ? expected : [expected as WaitingFor];
  if (!c.taskToken || !c.waitingFor || !kinds.includes(c.waitingFor)) {
    throw new ConflictError(`The complaint is ${c.status} and not waiting for ${kinds.join(' or ')}`, {
      currentVersion: c.version,
      complaintStatus: c.status,
      waitingFor: c.waitingFor,
    });
  }
  return c.taskToken;
}

/**
 * Who may decide at the complaint's wait: at an agent's, whoever the tier rule lets write; at the
 * manager's after a failed step (`needs_attention`, AwaitAttention), the manager alone. That wait is the
 * manager's queue and alert, not the tier's: a tier agent deciding there would settle a failure that
 * was sent above them. 403 with the role it needs, like the tier rule.
 */
export function assertMayDecide(c: Pick<Complaint, 'waitingFor'>, agent: Pick<Agent, 'role'>) {
  if (c.waitingFor === 'attention' && agent.role !== 'manager') {
    throw new ForbiddenError(
      `A complaint whose workflow step failed is decided by the manager, not by ${agent.role}`,
      { requiredRole: 'manager' },
    );
  }
}

/**
 * What a refusal says of the amount checked: the resolution's own, and what the complaint had cost
 * before it when that is part of the value (the agent sees why a small refund is refused).
 */
export function valueChecked(type: Resolution['type'], a: AuthorityAssessment): string {
  const of = `a ${type} of ${a.amount}`;
  return a.alreadyApplied > 0 ? `${of} after ${a.alreadyApplied} already applied (${a.value} in all)` : of;
}

/**
 * An agent proposes a resolution. Within the agent's authority it is applied; above it, it becomes a
 * proposal for the lowest role whose limit covers it, with the approval SLA computed from policy.
 * `alreadyApplied` is what the complaint's earlier resolutions paid (`appliedSoFar`): the authority is
 * on the complaint's total, so a reopened complaint does not get a fresh limit.
 */
export function proposeResolution(
  agent: Agent,
  resolution: Omit<Resolution, 'appliedBy' | 'authorityLimit' | 'appliedAt'>,
  policy: Policy,
  now: Date,
  alreadyApplied: number,
): AgentDecision {
  const assessment = assessAuthority(agent.role, resolution, policy, alreadyApplied);
  if (assessment.withinAuthority) {
    return {
      action: 'resolve',
      resolution: { ...resolution, appliedBy: agent, authorityLimit: assessment.limit },
    };
  }
  if (!assessment.approverRole) {
    throw new OverAuthorityError(
      `No role may approve ${valueChecked(resolution.type, assessment)}`,
      authorityDetails(assessment),
    );
  }
  const due = addBusinessDelay(now, policy.approval.responseSeconds, policy);
  return {
    action: 'request_approval',
    proposal: {
      resolution,
      proposedBy: agent,
      proposedAt: now.toISOString(),
      proposerLimit: assessment.limit,
      approverRole: assessment.approverRole,
      ...(alreadyApplied > 0 ? { alreadyApplied } : {}),
    },
    awaitSeconds: secondsUntil(due, now),
  };
}

/**
 * An approver decides on a proposal. Only the role the proposal waits for or a higher one may decide,
 * never the proposer; an approval is re-checked against the approver's own limit, on the complaint's
 * total as the proposal was (`alreadyApplied`: what its earlier resolutions paid).
 */
export function decideApproval(
  c: Complaint,
  approver: Agent,
  verdict: { approve: true } | { approve: false; reason: string },
  policy: Policy,
  now: Date,
  alreadyApplied: number,
): ApprovalDecision {
  const proposal = c.proposal;
  if (!proposal)
    throw new ConflictError('The complaint has no proposal awaiting approval', {
      currentVersion: c.version,
      complaintStatus: c.status,
    });
  if (rank(approver.role) < rank(proposal.approverRole)) {
    throw new ForbiddenError(`This proposal needs approval by ${proposal.approverRole} or above`, {
      approverRole: proposal.approverRole,
    });
  }
  if (proposal.proposedBy.id === approver.id) {
    throw new ForbiddenError('Nobody approves their own proposal');
  }
  if (!verdict.approve) {
    return { action: 'reject', rejection: { by: approver, reason: verdict.reason, at: now.toISOString() } };
  }
  const assessment = assessAuthority(approver.role, proposal.resolution, policy, alreadyApplied);
  if (!assessment.withinAuthority) {
    const what = valueChecked(proposal.resolution.type, assessment);
    throw new OverAuthorityError(
      `${what[0]?.toUpperCase()}${what.slice(1)} exceeds the ${approver.role} limit`,
      authorityDetails(assessment),
    );
  }
  return {
    action: 'approve',
    resolution: { ...proposal.resolution, appliedBy: approver, authorityLimit: assessment.limit },
  };
}

/** The agent asks the customer for information; the reminder is due after the policy delay. */
export function requestInfo(agent: Agent, question: string, policy: Policy): AgentDecision {
  return {
    action: 'request_info',
    question,
    by: agent,
    awaitSeconds: policy.infoRequest.reminderAfterSeconds,
  };
}

export function requestEscalation(agent: Agent, reason: string): AgentDecision {
  return { action: 'escalate', reason, by: agent };
}

export function closeByAgent(agent: Agent, reason: ClosureReason, mergedInto?: string): AgentDecision {
  return { action: 'close', reason, by: agent, ...(mergedInto ? { mergedInto } : {}) };
}

/** Outcome of the follow-up call, recorded by an agent. */
export function followUpOutcome(
  agent: Agent,
  outcome: FollowUpOutcome['outcome'],
  note: string | undefined,
): FollowUpOutcome {
  return { action: 'follow_up', outcome, by: agent, via: 'call', ...(note ? { note } : {}) };
}
