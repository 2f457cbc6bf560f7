import type { Complaint, TimelineEntry } from '../core/complaint';

/**
 * The interfaces the core and handlers use; every SDK call lives behind one of them
 * (DynamoDB: complaintStore.ts, SES: mailer.ts, Step Functions: workflowClient.ts, S3/disk: rawMailStore.ts).
 */

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, absent on the last page. */
  cursor?: string;
}

export interface ComplaintStore {
  /**
   * Creates the complaint with its first timeline entries. Idempotent on the complaint id: a second
   * call for an existing id returns `created: false` and the stored complaint.
   */
  create(complaint: Complaint, entries: TimelineEntry[]): Promise<{ created: boolean; complaint: Complaint }>;
  get(id: string): Promise<Complaint | undefined>;
  /** Claims a human reference for a complaint (conditional write); false when another complaint holds it. */
  reserveReference(reference: string, complaintId: string): Promise<boolean>;
  findIdByReference(reference: string): Promise<string | undefined>;
  findIdByThreadToken(token: string): Promise<string | undefined>;
  /**
   * Writes `next` only if the stored version is still `next.version - 1` (and `condition` holds),
   * then appends the entries. Throws ConflictError otherwise.
   */
  save(next: Complaint, entries: TimelineEntry[], condition?: SaveCondition): Promise<void>;
  append(complaintId: string, entries: TimelineEntry[]): Promise<void>;
  timeline(complaintId: string): Promise<TimelineEntry[]>;
  /** Open complaints of a tier ordered by SLA due time (the agent queue). */
  queue(tier: number, options?: { limit?: number; cursor?: string }): Promise<Page<Complaint>>;
  byCustomer(email: string, options?: { limit?: number; cursor?: string }): Promise<Page<Complaint>>;
  byAssignee(agentId: string, options?: { limit?: number; cursor?: string }): Promise<Page<Complaint>>;
  /**
   * Records that an inbound mail (by its dedupe key) belongs to a complaint. Returns the complaint id
   * already recorded for that key, or undefined when this call recorded it.
   */
  claimInbound(dedupeKey: string, complaintId: string): Promise<string | undefined>;
  /** Maps an outbound SES MessageId to its complaint, for threading replies and filing bounces. */
  recordOutbound(sesMessageId: string, complaintId: string): Promise<void>;
  findIdByOutbound(sesMessageId: string): Promise<string | undefined>;
}

/** Extra conditions on a save, e.g. that the live task token is the one being consumed. */
export interface SaveCondition {
  taskToken?: string;
}

export interface OutboundMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  replyTo?: string[];
  /** Extra headers (threading, loop guard) sent through SES v2 Simple content `Headers`. */
  headers?: Record<string, string>;
}

export interface Mailer {
  /** Sends one mail and returns the SES MessageId. */
  send(mail: OutboundMail): Promise<string>;
}

export interface WorkflowClient {
  /** Starts the execution named after the complaint; a repeated start returns the existing ARN. */
  start(complaintId: string, input: Record<string, unknown>): Promise<string>;
  /** Completes a callback task. Throws ConflictError when the token has timed out or is unknown. */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface RawMailStore {
  /** Reads the raw MIME of an inbound mail from where SES (or the local SMTP server) stored it. */
  get(bucket: string, key: string): Promise<Buffer>;
}
