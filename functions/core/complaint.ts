import { InvalidTransitionError } from './errors';
import type { AgentRole, Priority } from './policy';

/** Where a complaint is in its lifecycle (BRIEF §2). */
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
] as const;
export type ComplaintStatus = (typeof complaintStatuses)[number];

/** Statuses in which a complaint sits in its tier's queue. */
export const queuedStatuses: readonly ComplaintStatus[] = [
  'awaiting_agent',
  'awaiting_approval',
  'awaiting_follow_up',
];

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
}

export interface Complaint {
  id: string;
  reference: string;
  status: ComplaintStatus;
  /** 1-3; the manager works above tier 3. */
  tier: 1 | 2 | 3;
  priority: Priority;
  category?: string;
  customerEmail: string;
  customerName?: string;
  subject: string;
  /** Token of the reply-to address `support+<token>@domain`. */
  threadToken: string;
  assignee?: string;
  /** ISO time by which the current SLA target is due; orders the agent queue. */
  slaDueAt?: string;
  /** Callback token of the workflow task currently waiting on a person (one live token per complaint). */
  taskToken?: string;
  /** Agent decision accepted by the API and not yet applied by the workflow. */
  pendingDecision?: AgentDecision;
  resolution?: Resolution;
  executionArn?: string;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency version: every state change is a conditional write on it. */
  version: number;
}

/** What an agent decided at AwaitAgent; sent to the workflow as the task result. */
export type AgentDecision = {
  action: 'resolve';
  resolution: Resolution;
};

/** An immutable entry on a complaint's timeline: a message or an audit event. */
export type TimelineEntry = MessageEntry | AuditEntry;

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
  purpose?: 'acknowledgement' | 'resolution' | 'reply' | 'customer';
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
}

export interface TransitionResult {
  complaint: Complaint;
  audit: AuditEntry;
}

const allowed: Record<string, readonly ComplaintStatus[]> = {
  startInvestigation: ['received'],
  awaitAgent: ['investigating', 'awaiting_agent', 'deciding'],
  acceptDecision: ['awaiting_agent'],
  releaseDecision: ['deciding'],
  escalate: ['awaiting_agent', 'awaiting_approval'],
  applyResolution: ['deciding'],
  close: ['resolved', 'awaiting_follow_up'],
};

/**
 * Applies one lifecycle change to a complaint: checks the move is allowed from the current status,
 * bumps the version and returns the new complaint with the audit event that records it.
 * Pure: the caller persists both with a conditional write on the previous version.
 */
export function transition(
  complaint: Complaint,
  action: keyof typeof allowed,
  to: ComplaintStatus,
  actor: Actor,
  now: Date,
  changes: Partial<Omit<Complaint, 'id' | 'version' | 'status'>> = {},
  details?: Record<string, unknown>,
): TransitionResult {
  const from = allowed[action];
  if (!from?.includes(complaint.status)) {
    throw new InvalidTransitionError(`Cannot ${action} a complaint that is ${complaint.status}`, {
      action,
      status: complaint.status,
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
  };
  return { complaint: next, audit };
}

export const systemActor: Actor = { kind: 'system', id: 'workflow' };
