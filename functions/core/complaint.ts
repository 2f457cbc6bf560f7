import { customerIdOf } from './customerId';
import { InvalidTransitionError } from './errors';
import type { Investigation } from './investigation';
import type { Undeliverable } from './mail/sesFeedback';
import type { AgentRole, Priority } from './policy';
import type { SlaClock } from './sla';

/** Where a complaint is in its lifecycle. */
export const complaintStatuses = [
  'received',
  'investigating',
  'awaiting_agent',
  /** An agent's decision was accepted and handed to the workflow, which applies it. */
  'deciding',
  'awaiting_customer',
  'awaiting_approval',
  'resolved',
  'awaiting_follow_up',
  'closed',
  /** The customer wrote after the resolution: a new execution investigates it again. */
  'reopened',
  /** A workflow step failed for good: the manager decides how the complaint goes on. */
  'needs_attention',
] as const;
export type ComplaintStatus = (typeof complaintStatuses)[number];

/** Statuses in which a complaint sits in its tier's queue. */
export const queuedStatuses: readonly ComplaintStatus[] = [
  'awaiting_agent',
  'awaiting_approval',
  'awaiting_follow_up',
  'needs_attention',
];

/** Which person a workflow callback task is waiting for (one live task token per complaint). */
export const waitingKinds = ['agent', 'approval', 'customer', 'follow_up', 'survey', 'attention'] as const;
export type WaitingFor = (typeof waitingKinds)[number];

/** The queue a waiting complaint appears in: the approver role for a proposal, else its tier's. */
export function queueOf(c: Pick<Complaint, 'status' | 'tier' | 'proposal'>): AgentRole {
  if (c.status === 'needs_attention') return 'manager';
  if (c.status === 'awaiting_approval' && c.proposal) return c.proposal.approverRole;
  return c.tier === 3 ? 'tier3' : c.tier === 2 ? 'tier2' : 'tier1';
}

export const resolutionTypes = ['apology', 'explanation', 'replacement', 'refund', 'credit'] as const;
export type ResolutionType = (typeof resolutionTypes)[number];

export interface Actor {
  /** `system` for the workflow and intake, `customer` for mail, the agent's subject otherwise. */
  kind: 'system' | 'customer' | 'agent';
  id: string;
  role?: AgentRole;
  email?: string;
}

export interface Resolution {
  type: ResolutionType;
  amount?: number;
  currency?: string;
  summary: string;
  rootCause: string;
  /** Who applied it and the limit in force at that moment, for the audit trail. */
  appliedBy: Actor;
  authorityLimit: number | null;
  appliedAt?: string;
  /** The decision that applied it (a decision is applied at most once). */
  decisionId?: string;
}

/** A resolution above the proposer's limit, waiting for a higher tier's approval. */
export interface Proposal {
  resolution: Omit<Resolution, 'appliedBy' | 'authorityLimit' | 'appliedAt'>;
  proposedBy: Actor;
  proposedAt: string;
  /** The proposer's own limit, for the audit trail. */
  proposerLimit: number | null;
  /**
   * Refunds and credits applied to the complaint before this proposal: the approver role's limit covers
   * them plus this amount (why a small refund on a reopened complaint may need approval).
   */
  alreadyApplied?: number;
  /** Lowest role whose limit covers the value; raised one step each time the approval SLA is missed. */
  approverRole: AgentRole;
}

/** A workflow step that failed after its retries, as RecordFailure stores it. */
export interface StepFailure {
  /** The state machine state that failed. */
  state: string;
  /** The error name (what Retry and Catch match). */
  error: string;
  cause: string;
  at: string;
}

export interface Rejection {
  by: Actor;
  reason: string;
  at: string;
}

export interface FollowUpState {
  /** Resolving agent who owns the follow-up call. */
  agentId: string;
  /** When the call falls due (the Wait after the resolution email ends). */
  scheduledFor: string;
  attempts: number;
  lastOutcome?: 'satisfied' | 'unsatisfied' | 'unreachable';
  surveySentAt?: string;
}

export type ClosureReason =
  | 'satisfied'
  | 'abandoned'
  | 'no_response'
  | 'duplicate'
  | 'withdrawn'
  | 'resolved_elsewhere';

export interface Complaint {
  id: string;
  reference: string;
  status: ComplaintStatus;
  /** 1-3; the manager works above tier 3. */
  tier: 1 | 2 | 3;
  priority: Priority;
  category?: string;
  customerEmail: string;
  /**
   * Opened by automated mail (list mail, an auto-reply, a robot sender): never a risk signal nor evidence
   * of a repeat complainer.
   */
  automated?: true;
  /** The first mail named no valid sender: `customerEmail` is a placeholder, never written to. */
  senderInvalid?: string;
  /**
   * SES reported a permanent bounce or a spam complaint for mail to the customer: no automatic mail goes
   * to the address any more, and an agent must reach the customer another way.
   */
  undeliverable?: Undeliverable;
  customerName?: string;
  subject: string;
  /** Token of the reply-to address `support+<token>@domain`. */
  threadToken: string;
  assignee?: string;
  /** Who claimed the complaint through the API, with the role they held (decides who may take it over). */
  claimedBy?: { id: string; role: AgentRole; at: string };
  /** ISO time by which the current SLA target is due; orders the agent queue. */
  slaDueAt?: string;
  /** The SLA clock of the current target (business time, paused while awaiting the customer). */
  sla?: SlaClock;
  /** Callback token of the workflow task currently waiting on a person (one live token per complaint). */
  taskToken?: string;
  /** Whom the live token waits for. */
  waitingFor?: WaitingFor;
  /** When the live wait was registered (with `slaDueAt`, its deadline: tells a timeout from a stale step). */
  waitingSince?: string;
  /**
   * Which entry of its state the registered wait came from: when the state machine entered it and the
   * attempt (`$$.State.EnteredTime`, `$$.State.RetryCount`), as `waitEntryOf` writes it, ordered as
   * strings. A registration delivered late, from an entry older than this one, is stale (see
   * `staleWaitEntry`).
   */
  waitEntry?: string;
  /**
   * The latest task tokens a decision or a timeout step consumed, newest last: a redelivered
   * registration of one of these waits is a no-op instead of reviving a wait that is over.
   */
  spentTokens?: string[];
  /** A person's decision accepted by the API and not yet applied by the workflow. */
  pendingDecision?: AcceptedDecision;
  /** Status to return to if the decision cannot be handed to the workflow. */
  decidingFrom?: ComplaintStatus;
  /** When the pending decision was accepted (a step may release it once it is clearly abandoned). */
  decidingSince?: string;
  /** Ids of the decisions applied as resolutions: the same decision is never applied twice. */
  appliedDecisions?: string[];
  /**
   * The refunds and credits applied to the complaint so far, over all its resolutions (a reopened
   * complaint is resolved again), in the account currency: the authority check of the next resolution
   * adds its amount to this. Written with `appliedDecisions`, in the same write, so a decision counts
   * exactly when it is recorded as applied. Absent on a complaint never resolved, and on one resolved
   * before the total was kept (`appliedSoFar` in `authority.ts` reads its timeline then).
   */
  appliedTotal?: number;
  /** The step failure that put the complaint in the manager's queue (status `needs_attention`). */
  failure?: StepFailure;
  /** True once an agent has answered the customer (first-response target met). */
  firstResponseAt?: string;
  investigation?: Investigation;
  /** Same category from many customers in one window (counted for reporting). */
  recurringIssue?: { category: string; windowStart: string; customers: number };
  proposal?: Proposal;
  lastRejection?: Rejection;
  resolution?: Resolution;
  followUp?: FollowUpState;
  closure?: { reason: ClosureReason; at: string; by: Actor; mergedInto?: string };
  reopenCount?: number;
  /** The earlier complaint this one continues (a reply to it arrived after its reopen window). */
  linkedTo?: string;
  /** Name of the current Step Functions execution (the complaint id, then `<id>-r<n>` after reopens). */
  executionName?: string;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency version: every state change is a conditional write on it. */
  version: number;
}

/** What an agent decided at AwaitAgent; sent to the workflow as the task output. */
export type AgentDecision =
  | { action: 'resolve'; resolution: Resolution }
  /** Above the agent's limit: `awaitSeconds` is the approver's SLA, computed server-side. */
  | { action: 'request_approval'; proposal: Proposal; awaitSeconds: number }
  /** `awaitSeconds` is the reminder delay. */
  | { action: 'request_info'; question: string; by: Actor; awaitSeconds: number }
  | { action: 'escalate'; reason: string; by: Actor }
  | { action: 'close'; reason: ClosureReason; by: Actor; mergedInto?: string };

/** What an approver decided at AwaitApproval. */
export type ApprovalDecision =
  | { action: 'approve'; resolution: Resolution }
  | { action: 'reject'; rejection: Rejection };

/** The customer answered a request for information (their mail is on the timeline). */
export type CustomerResponse = { action: 'customer_replied'; messageId?: string };

/** Outcome of a follow-up call, or of the satisfaction survey / a customer mail after resolution. */
export type FollowUpOutcome = {
  action: 'follow_up';
  outcome: 'satisfied' | 'unsatisfied' | 'unreachable';
  by: Actor;
  via: 'call' | 'survey' | 'customer_mail';
  note?: string;
};

export type Decision = AgentDecision | ApprovalDecision | CustomerResponse | FollowUpOutcome;

/**
 * A decision as the API accepted it: `decisionId` is its idempotency key (the client's
 * `Idempotency-Key`, else generated at acceptance). A redelivery with the same id completes the same
 * hand-over; applying it is recorded under the id, so it takes effect once.
 */
export type AcceptedDecision = Decision & { decisionId: string };

/** An immutable entry on a complaint's timeline: a message, an internal note or an audit event. */
export type TimelineEntry = MessageEntry | NoteEntry | AuditEntry;

/** An internal note by an agent (or the system, e.g. on a merge): on the timeline, never mailed. */
export interface NoteEntry {
  kind: 'note';
  id: string;
  at: string;
  author: Actor;
  text: string;
}

export interface MessageEntry {
  kind: 'message';
  id: string;
  at: string;
  direction: 'inbound' | 'outbound';
  /** RFC 5322 Message-ID for inbound mail, SES MessageId for outbound mail. */
  messageId?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** Where the raw MIME of an inbound mail is kept (S3 key / local path). */
  rawMailKey?: string;
  purpose?:
    | 'acknowledgement'
    | 'resolution'
    | 'reply'
    | 'customer'
    | 'info_request'
    | 'reminder'
    | 'survey'
    | 'closure'
    | 'notification'
    /** A delivery status notification about one of our outbound mails. */
    | 'bounce';
  /** Attachments of an inbound mail, stored beside its raw mail. */
  attachments?: MessageAttachment[];
  /** Loop-guard findings: automated mail is kept on the timeline but never answered or acted on. */
  automated?: string[];
  /**
   * Inbound only: why the sender could not be read as an address that may be written to (two From
   * fields, an invalid address). `from` is then a placeholder, nothing is sent, an agent must look.
   */
  senderInvalid?: string;
  /** On a bounce: the outbound mail (SES MessageId) whose delivery failed. */
  deliveryFailure?: DeliveryFailure;
}

/** An attachment of an inbound mail as the timeline lists it; the bytes are in the object store. */
export interface MessageAttachment {
  /** File name as the sender gave it (decoded); absent for unnamed parts. */
  filename?: string;
  contentType: string;
  size: number;
  /** SHA-256 of the decoded content, hex. */
  checksum: string;
  /** Object key beside the raw mail (S3 key / local path under the raw-mail folder). */
  key: string;
}

/** What a bounce said about one of our outbound mails. */
export interface DeliveryFailure {
  /** SES MessageId of the outbound mail that bounced. */
  sesMessageId: string;
  recipient?: string;
  /** RFC 3464 status code, e.g. `5.1.1`. */
  status?: string;
  diagnostic?: string;
}

export interface AuditEntry {
  kind: 'audit';
  id: string;
  at: string;
  action: string;
  actor: Actor;
  fromStatus?: ComplaintStatus;
  toStatus: ComplaintStatus;
  version: number;
  details?: Record<string, unknown>;
  /** The complaint's business facts at this change (state changes only): what its domain event carries. */
  facts?: AuditFacts;
}

/**
 * Ids and classifications of the complaint as a state change left it, recorded with the change so the
 * domain event published from the audit item needs nothing else (no free text, no address).
 */
export interface AuditFacts {
  tier: 1 | 2 | 3;
  priority: Priority;
  category?: string;
  /** A stable customer id (never the address); the same after a GDPR erasure. */
  customerId: string;
  openedAt: string;
  /** Risk signals the investigation found. */
  riskSignals?: string[];
  /** The SLA target in force before the change, and its due time. */
  sla?: { target: string; dueAt: string };
  /** Set when this change met the first-response target (the customer was answered for the first time). */
  firstResponseAt?: string;
}

/** The facts of a complaint after a change (`before` tells whether the change answered the customer first). */
export function auditFacts(before: Complaint | undefined, after: Complaint): AuditFacts {
  const risks = after.investigation?.riskSignals.map((r) => r.signal) ?? [];
  const clock = before?.sla ?? after.sla;
  return {
    tier: after.tier,
    priority: after.priority,
    ...(after.category ? { category: after.category } : {}),
    customerId: customerIdOf(after.customerEmail),
    openedAt: after.createdAt,
    ...(risks.length > 0 ? { riskSignals: risks } : {}),
    ...(clock ? { sla: { target: clock.target, dueAt: before?.slaDueAt ?? clock.dueAt } } : {}),
    ...(!before?.firstResponseAt && after.firstResponseAt && before
      ? { firstResponseAt: after.firstResponseAt }
      : {}),
  };
}

export interface TransitionResult {
  complaint: Complaint;
  audit: AuditEntry;
}

/**
 * The transition table: from which statuses each lifecycle event may be taken. `transition()` enforces
 * it, so a workflow step delivered twice or late (Step Functions and Lambda are at-least-once) cannot
 * move a complaint along a path the lifecycle does not have.
 */
const allowed = {
  startInvestigation: ['received', 'reopened'],
  acceptDecision: [
    'awaiting_agent',
    'awaiting_approval',
    'awaiting_customer',
    'awaiting_follow_up',
    'needs_attention',
  ],
  releaseDecision: ['deciding'],
  /** `deciding` only for the escalation an agent asked for, or to end an abandoned decision. */
  escalate: ['investigating', 'awaiting_agent', 'awaiting_approval', 'awaiting_follow_up', 'deciding'],
  applyResolution: ['deciding'],
  /** The agent's SLA clock reached its warning mark while the agent's wait was live. */
  warnSla: ['awaiting_agent'],
  requeue: ['deciding'],
  remindCustomer: ['awaiting_customer'],
  recordUnreachable: ['deciding'],
  sendSurvey: ['awaiting_follow_up'],
  close: ['deciding', 'awaiting_customer', 'awaiting_follow_up'],
  reopen: ['resolved', 'awaiting_follow_up', 'closed'],
  /** A step failed for good: anywhere but closed (closing is the last write of the last step). */
  recordFailure: complaintStatuses.filter((s) => s !== 'closed'),
  /** GDPR erasure of the customer's personal data: in any status, the status itself unchanged. */
  erase: complaintStatuses,
  /** SES feedback that the customer's address is undeliverable: in any status, the status unchanged. */
  recordUndeliverable: complaintStatuses,
  /** A manager cleared the address's undeliverable mark (the customer fixed their mailbox). */
  clearUndeliverable: complaintStatuses,
  claim: ['awaiting_agent', 'awaiting_approval', 'awaiting_customer', 'awaiting_follow_up'],
  /**
   * A public reply while the workflow waits (on a person or a Wait state), never while one of its
   * steps is writing the complaint (investigating, deciding), which would make that step's write stale.
   */
  recordReply: [
    'awaiting_agent',
    'awaiting_customer',
    'awaiting_approval',
    'resolved',
    'awaiting_follow_up',
    'needs_attention',
  ],
} satisfies Record<string, readonly ComplaintStatus[]>;

/**
 * Registering a wait (`awaitPerson`), by whom it waits for: only right after the step that leads to that
 * wait. Never from `deciding` except for the two waits a decision itself asks for (approval, customer),
 * and never for the agent from `resolved`: a stale registration there would drop or undo a decision.
 */
const waitAllowed = {
  agent: ['investigating', 'awaiting_agent'],
  approval: ['deciding', 'awaiting_approval'],
  customer: ['deciding', 'awaiting_customer'],
  follow_up: ['resolved', 'awaiting_follow_up'],
  survey: ['awaiting_follow_up'],
  attention: ['needs_attention'],
} satisfies Record<WaitingFor, readonly ComplaintStatus[]>;

export type LifecycleAction = keyof typeof allowed | 'awaitPerson';

/** Every lifecycle event the table knows (for exhaustive checks). */
export const lifecycleActions = [
  ...(Object.keys(allowed) as (keyof typeof allowed)[]),
  'awaitPerson',
] as const;

/** The statuses an event may be taken from (`waitingFor` says which wait an `awaitPerson` registers). */
export function allowedFrom(action: LifecycleAction, waitingFor?: WaitingFor): readonly ComplaintStatus[] {
  if (action !== 'awaitPerson') return allowed[action];
  if (!waitingFor) throw new InvalidTransitionError('awaitPerson needs whom it waits for');
  return waitAllowed[waitingFor];
}

/**
 * Applies one lifecycle change to a complaint: checks the move is allowed from the current status,
 * bumps the version and returns the new complaint with the audit event that records it.
 * Pure: the caller persists both with a conditional write on the previous version.
 */
export function transition(
  complaint: Complaint,
  action: LifecycleAction,
  to: ComplaintStatus,
  actor: Actor,
  now: Date,
  changes: Partial<Omit<Complaint, 'id' | 'version' | 'status'>> = {},
  details?: Record<string, unknown>,
): TransitionResult {
  const from = allowedFrom(action, action === 'awaitPerson' ? changes.waitingFor : undefined);
  if (!from.includes(complaint.status)) {
    throw new InvalidTransitionError(`Cannot ${action} a complaint that is ${complaint.status}`, {
      action,
      currentVersion: complaint.version,
      complaintStatus: complaint.status,
      ...(action === 'awaitPerson' ? { waitingFor: changes.waitingFor } : {}),
    });
  }
  const at = now.toISOString();
  const next: Complaint = {
    ...complaint,
    ...changes,
    status: to,
    version: complaint.version + 1,
    updatedAt: at,
  };
  const audit: AuditEntry = {
    kind: 'audit',
    id: `${complaint.id}-v${next.version}`,
    at,
    action,
    actor,
    fromStatus: complaint.status,
    toStatus: to,
    version: next.version,
    ...(details ? { details } : {}),
    facts: auditFacts(complaint, next),
  };
  return { complaint: next, audit };
}

export const systemActor: Actor = { kind: 'system', id: 'workflow' };
