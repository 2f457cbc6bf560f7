import type { Complaint, ComplaintStatus, TimelineEntry } from '../core/complaint';
import type { DomainEvent } from '../core/events/domainEvents';
import type { InboundClaim, IntakeOutcome, QuarantinedMail, RawMailErasure } from '../core/mail/filing';
import type { Undeliverable } from '../core/mail/sesFeedback';
import type { AgentRole } from '../core/policy';
import type { CounterUpdate } from '../core/reports/projection';

/**
 * The interfaces the core and handlers use; every SDK call lives behind one of them
 * (DynamoDB: complaintStore.ts, mailLedger.ts, quarantineStore.ts; SES: mailer.ts; Step Functions:
 * workflowClient.ts; S3/disk: rawMailStore.ts; Lambda: intakeFunction.ts).
 */

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, absent on the last page. */
  cursor?: string;
}

/** Paging (and an optional status filter) of the complaint list queries. */
export interface ListOptions {
  limit?: number;
  cursor?: string;
  /** Only complaints in this status (a filter on the index query: a page may hold fewer items). */
  status?: ComplaintStatus;
}

/** What became of opening a complaint from a first-seen mail (see `ComplaintStore.openFromMail`). */
export type OpenedFromMail = 'opened' | 'claimed' | 'refused';

export interface ComplaintStore {
  /**
   * Creates the complaint with its thread token and first timeline entries, all or nothing. Idempotent
   * on the complaint id: a second call for an existing id writes nothing and returns `created: false`
   * with the stored complaint. At most 98 entries (one transaction).
   */
  create(complaint: Complaint, entries: TimelineEntry[]): Promise<{ created: boolean; complaint: Complaint }>;
  /**
   * Opens a complaint from a first-seen mail in one transaction: the complaint, its thread token and
   * reference, its first entries and the mail's inbound claim (the claim a redelivery finds). All or
   * nothing: with nothing written, `claimed` when the mail's claim exists already (another delivery got
   * there first: the claim's condition says so, no read needed), `refused` when the reference or the
   * complaint exists (the reference belongs to another complaint); the caller then files step by
   * step, which is idempotent.
   */
  openFromMail(complaint: Complaint, entries: TimelineEntry[], claim: InboundClaim): Promise<OpenedFromMail>;
  get(id: string): Promise<Complaint | undefined>;
  /** Claims a human reference for a complaint (conditional write); false when another complaint holds it. */
  reserveReference(reference: string, complaintId: string): Promise<boolean>;
  findIdByReference(reference: string): Promise<string | undefined>;
  findIdByThreadToken(token: string): Promise<string | undefined>;
  /**
   * Writes `next` and appends the entries that record the change, together and only if the stored
   * version is still `next.version - 1` (and `condition` holds). Throws ConflictError otherwise (or
   * when a concurrent write on the complaint got in the way: retry on a fresh read), having written
   * nothing. At most 99 entries (98 with a send lease): a change is never split over several writes.
   *
   * `sendLease`: the send lease of a mail the change calls for (see `MailLedger.beginOutbound`), taken
   * in the same write, on the condition that the mail was never begun.
   */
  save(
    next: Complaint,
    entries: TimelineEntry[],
    condition?: SaveCondition,
    sendLease?: SendLease,
  ): Promise<void>;
  /**
   * `save` (without its extra conditions) together with the record of a mail SES has just taken under
   * the caller's send lease: the mail's intent marked `sent`, its SES MessageId mapped to the complaint
   * and the mail, and its timeline entry. One transaction, so the change and the mail that announces it
   * commit together. Nothing written when it answers `leaseLost` (the lease was taken over: the taker
   * records its copy) or `complaintChanged` (the version moved, or a concurrent write got in the way:
   * the mail still has to be recorded, `MailLedger.completeOutbound`); any other failure is thrown, and
   * the transaction may then have been written or not.
   */
  saveWithSentMail(
    next: Complaint,
    entries: TimelineEntry[],
    sent: SentMail,
  ): Promise<'saved' | 'leaseLost' | 'complaintChanged'>;
  /**
   * Writes a change made to what the workflow state knew of the complaint (`before`, partial: see
   * `complaintFromKnown`) without having read it: only the attributes the change set or cleared, with
   * the entries that record it, together and only if the stored version and status are still
   * `before`'s. Not saved, having written nothing, when they are not (or a concurrent write got in the
   * way): the caller then goes the usual way, from `current` (the complaint as stored, when the
   * failed condition returned it) or a fresh read.
   */
  saveChange(
    before: Complaint,
    next: Complaint,
    entries: TimelineEntry[],
  ): Promise<{ saved: true } | { saved: false; current: Complaint | undefined }>;
  /**
   * Adds entries that change nothing on the complaint (messages, links): re-adding one is harmless as
   * long as the caller derives its time as well as its id from what it records (a timeline item's key is
   * its time and id).
   *
   * `customer`: the address the entries were made for (they name the customer the complaint had when
   * the caller read it). Written only while the complaint still has it, checked in the same
   * transaction: false, with nothing written, once an erasure replaced it by its pseudonym (the
   * caller writes them as the erasure leaves entries). Without it one BatchWriteItem, with it one
   * TransactWriteItems (at most 99 entries): one request either way.
   */
  append(complaintId: string, entries: TimelineEntry[], customer?: string): Promise<boolean>;
  /**
   * Adds an entry whose id names what it records but whose time is when it was first asked for (an
   * agent's note: a retried request comes later). Once per id: stored under its id alone, so a second
   * call writes nothing and answers the entry as first stored. `customer`: as for `append`; once an
   * erasure replaced it, StaleWriteError (the erasure moved the complaint's version), nothing written.
   */
  appendOnce(
    complaintId: string,
    entry: TimelineEntry,
    customer?: string,
  ): Promise<{ entry: TimelineEntry; added: boolean }>;
  /**
   * Overwrites existing timeline entries in place (under the keys their ids are stored under). The
   * timeline is otherwise immutable: only a GDPR erasure rewrites it, replacing personal data and
   * keeping the audit events.
   */
  rewriteTimeline(complaintId: string, entries: TimelineEntry[]): Promise<void>;
  timeline(complaintId: string): Promise<TimelineEntry[]>;
  /** The complaint and its timeline in one read (a step that needs both pays one request, not two). */
  withTimeline(id: string): Promise<{ complaint: Complaint; timeline: TimelineEntry[] } | undefined>;
  /**
   * Complaints waiting in a role's queue ordered by due time (tier work, approvals, follow-up calls),
   * each with the list attributes the queue index projects (`queueListAttributes`), not the whole item.
   */
  queue(queue: AgentRole, options?: ListOptions): Promise<Page<Complaint>>;
  /** A customer's complaints, newest first. */
  byCustomer(email: string, options?: ListOptions): Promise<Page<Complaint>>;
  /** Open complaints assigned to an agent ordered by due time. */
  byAssignee(agentId: string, options?: ListOptions): Promise<Page<Complaint>>;
  /**
   * Counts a customer under a category's recurring-issue window (an atomic set add on one item; beyond
   * the set's first 100, a marker of the customer's with the window's count in one transaction) and
   * returns how many distinct customers the window holds. Idempotent per customer. The investigation
   * counts customer ids (`customerIdOf`); windows written before it did hold addresses.
   */
  recordCategoryOccurrence(windowKey: string, customer: string): Promise<number>;
  /**
   * Replaces a customer's address by its pseudonym in a recurring-issue window (GDPR erasure of a
   * window that counted addresses, as windows did before they counted customer ids): the count stays;
   * a window that does not hold the address is left alone. True when it held it.
   */
  pseudonymiseCategoryOccurrence(
    windowKey: string,
    customerEmail: string,
    pseudonym: string,
  ): Promise<boolean>;
  /**
   * The complaint an outbound SES MessageId belongs to, for threading replies and filing bounces (the
   * mail ledger records the id when the mail is sent).
   */
  findIdByOutbound(sesMessageId: string): Promise<string | undefined>;
}

/** Extra conditions on a save, e.g. that the live task token is the one being consumed. */
export interface SaveCondition {
  taskToken?: string;
  /**
   * Another complaint that must still be at this version, checked in the same transaction: a merge's
   * target as the merge checked it (open, not closing). Two complaints merged into each other at once
   * would otherwise both close, each having read the other still open. A failed check is a
   * ConflictError naming that complaint, nothing written.
   */
  unchanged?: { id: string; version: number };
}

/** A send lease of the mail with send-once id `id`, held until `leaseUntil` (epoch milliseconds). */
export interface SendLease {
  id: string;
  lease: string;
  at: string;
  leaseUntil: number;
}

/** A mail to a customer that SES took under the send lease `lease` of its send-once id `id`. */
export interface SentMail {
  id: string;
  lease: string;
  sesMessageId: string;
  complaintId: string;
  /** The complaint's address when the mail was made (see `MailLedger.completeOutbound`). */
  customerEmail: string;
  /** Its timeline entry. */
  entry: TimelineEntry;
}

export interface OutboundMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  replyTo?: string[];
  /** Extra headers (threading, loop guard) sent through SES v2 Simple content `Headers`. */
  headers?: Record<string, string>;
  /** SES message tags (ASCII letters, digits, `_`, `-`): SES returns them with the mail's events. */
  tags?: Record<string, string>;
}

export interface Mailer {
  /** Sends one mail and returns the SES MessageId. */
  send(mail: OutboundMail): Promise<string>;
}

export interface WorkflowClient {
  /**
   * Starts an execution named after the complaint (`<id>`, or `<id>-r<n>` after a reopen); a repeated
   * start with the same name returns the existing ARN.
   */
  start(executionName: string, input: Record<string, unknown>): Promise<string>;
  /** Stops a running execution (no-op when it has already ended). */
  stop(executionName: string, cause: string): Promise<void>;
  /** Completes a callback task. Throws ConflictError when the token has timed out or is unknown. */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  /**
   * Whether a callback task of the execution succeeded with the decision `decisionId` at or after
   * `since` (read from its history, newest first). Step Functions answers `TaskTimedOut` both to a
   * callback for a task whose timeout fired and to one for a task completed already: this tells the
   * two apart when the same decision may have been delivered by another request.
   */
  received(executionName: string, decisionId: string, since: Date): Promise<boolean>;
}

/** The intake function, as the other functions hand it work. */
export interface IntakeFunction {
  /**
   * Hands a released quarantined mail to intake, which files it and records the outcome on the
   * quarantine record. Resolves once the hand-over is queued (an asynchronous invocation: delivered at
   * least once, retried, then dead-lettered); handing the same release over again files nothing twice.
   */
  fileReleased(quarantineId: string): Promise<void>;
}

export interface RawMailStore {
  /** Reads the raw MIME of an inbound mail from where SES (or the local SMTP server) stored it. */
  get(bucket: string, key: string): Promise<Buffer>;
  /** Stores an object beside the raw mail (attachments); overwriting the same key is harmless. */
  put(bucket: string, key: string, body: Buffer, contentType: string): Promise<void>;
  /** Deletes an object (GDPR erasure); deleting one that is already gone is harmless. */
  delete(bucket: string, key: string): Promise<void>;
}

/** An outbound mail's send-once record, as {@link MailLedger.beginOutbound} found it. */
export type OutboundIntent =
  /** This caller holds the lease and sends; `at` is the time the mail is recorded under. */
  | { state: 'acquired'; lease: string; at: string }
  | { state: 'sent'; sesMessageId: string; at: string }
  | { state: 'suppressed'; reason: string; at: string }
  /** Another caller holds a live lease: it is sending right now. */
  | { state: 'busy' };

/** What an outbound SES MessageId maps to: the complaint, and the mail (its send-once id / timeline entry). */
export interface OutboundMailRecord {
  complaintId: string;
  /** Absent for ids recorded before the mail id was kept. */
  mailId?: string;
}

/** An address SES reported undeliverable (a permanent bounce, a spam complaint), and where that came from. */
export type AddressMark = Undeliverable & { complaintId: string };

/**
 * Mail bookkeeping, each record one item changed by one conditional write: inbound claims
 * (exactly-once intake), the inbound Message-ID index, send-once intents for outbound mail and the
 * per-recipient counters that cap automatic mail.
 */
export interface MailLedger {
  findInboundClaim(key: Pick<InboundClaim, 'dedupeKey' | 'messageId'>): Promise<InboundClaim | undefined>;
  /** Records that the raw mail under `rawMailKey` is deleted on purpose (before the deletion). */
  markRawMailErased(rawMailKey: string, erasure: RawMailErasure): Promise<void>;
  /** The record of a raw mail deleted on purpose, if it was. */
  findRawMailErasure(rawMailKey: string): Promise<RawMailErasure | undefined>;
  /** Records the claim unless one exists for its dedupe key; returns the claim that holds (first wins). */
  claimInbound(claim: InboundClaim): Promise<InboundClaim>;
  /** The complaint a filed inbound mail belongs to, by its Message-ID (the earliest claim wins). */
  findIdByInboundMessageId(messageId: string): Promise<string | undefined>;
  /** Takes the send lease of an outbound mail, or reports that it was sent, suppressed or is in flight. */
  beginOutbound(id: string, now: Date, leaseSeconds: number): Promise<OutboundIntent>;
  /**
   * The first attempt at an automatic mail in one transaction: takes the send lease of a mail never
   * begun, checks that the address is not marked undeliverable and counts the mail within the cap of
   * its window. Undefined, with nothing written, when any of the three does not hold: the caller then
   * goes step by step (beginOutbound, findUndeliverable, countAutomaticMail) to learn which.
   */
  beginAutomaticOutbound(
    id: string,
    now: Date,
    leaseSeconds: number,
    cap: { recipient: string; windowStart: number; windowSeconds: number; max: number },
  ): Promise<Extract<OutboundIntent, { state: 'acquired' }> | undefined>;
  /**
   * Marks the mail sent (or suppressed) under the caller's lease; false when the lease was taken over.
   * A sent mail's SES MessageId is mapped to the complaint and the mail, and its timeline entry (`entry`)
   * added, in the same transaction (mail no complaint sent, such as the weekly digest, has neither).
   */
  completeOutbound(
    id: string,
    lease: string,
    result:
      | ({
          sesMessageId: string;
          entry: TimelineEntry;
          /**
           * The complaint's address when the mail was made: an erasure that changed it since (while
           * SES took the mail) has the entry written erased, not with the address and text it erased.
           */
          customerEmail: string;
        } & Pick<OutboundMailRecord, 'complaintId'>)
      | { sesMessageId: string; entry?: undefined; complaintId?: undefined; customerEmail?: undefined }
      | { suppressed: string },
  ): Promise<boolean>;
  /** Maps the SES MessageId of a mail sent without the lease (a duplicate) to its complaint and mail. */
  recordOutboundMail(sesMessageId: string, record: OutboundMailRecord): Promise<void>;
  findOutboundMail(sesMessageId: string): Promise<OutboundMailRecord | undefined>;
  /**
   * Claims the filing of the bounce of an outbound mail for one timeline entry: a bounce arrives as an
   * SES event and, from some receivers, as a bounce mail too, and is filed once. True when `entryId`
   * holds the claim (taken now, or by an earlier delivery of the same entry); false when another did.
   */
  claimBounceFiling(sesMessageId: string, entryId: string): Promise<boolean>;
  /**
   * Records that an address is undeliverable; the first mark stands. `customerOf`: the complaint whose
   * customer the address is; marked only while that complaint still names them (checked in the same
   * write), false with nothing written once an erasure replaced it.
   */
  markUndeliverable(address: string, mark: AddressMark, customerOf?: string): Promise<boolean>;
  findUndeliverable(address: string): Promise<AddressMark | undefined>;
  /** Removes an address's undeliverable mark (a manager cleared it); a missing mark is a no-op. */
  clearUndeliverable(address: string): Promise<void>;
  /** Gives the lease up after a failed send, so that a retry can send at once. */
  abandonOutbound(id: string, lease: string): Promise<void>;
  /** Counts one automatic mail to `recipient` in the window starting at `windowStart` (epoch s). */
  countAutomaticMail(recipient: string, windowStart: number, windowSeconds: number): Promise<number>;
  /** Deletes the automatic-mail counters of a recipient (GDPR erasure); returns how many there were. */
  forgetAutomaticMail(recipient: string): Promise<number>;
  /** Every inbound claim filed under a sender's address (GDPR erasure). */
  claimsFromSender(sender: string): Promise<InboundClaim[]>;
  /**
   * Overwrites the claim stored for `original` (same key) with its erased form, which is no longer filed
   * under the sender.
   */
  replaceErasedClaim(original: InboundClaim, erased: InboundClaim): Promise<void>;
}

/** A released mail whose filing has not been recorded: the quarantine id and when it was released. */
export interface PendingRelease {
  id: string;
  releasedAt: string;
}

/** Quarantined inbound mail (failed SES verdicts, unreadable MIME, unmatched bounces). */
export interface QuarantineStore {
  /** Stores the mail unless it is already held (same id); returns the stored record. */
  hold(mail: QuarantinedMail): Promise<QuarantinedMail>;
  get(id: string): Promise<QuarantinedMail | undefined>;
  /** Newest first. */
  list(
    status: QuarantinedMail['status'],
    options?: { limit?: number; cursor?: string },
  ): Promise<Page<QuarantinedMail>>;
  /** Marks a held mail released (first caller wins); returns the record as it now is. */
  release(
    id: string,
    released: NonNullable<QuarantinedMail['released']>,
  ): Promise<QuarantinedMail | undefined>;
  /** Notes on a released mail that intake was handed it (which files it and records the outcome). */
  recordHandOver(id: string, handedOver: NonNullable<QuarantinedMail['handedOver']>): Promise<void>;
  /** Records where a released mail went; the release is no longer pending. */
  recordOutcome(id: string, outcome: IntakeOutcome): Promise<void>;
  /** Released mail with no outcome recorded yet (none, mostly: the mark goes with the outcome). */
  pendingReleases(limit?: number): Promise<PendingRelease[]>;
  /** Drops the pending mark of a release that has nothing left to file (erased, already filed). */
  forgetPendingRelease(id: string): Promise<void>;
  /** Every held or released mail filed under a sender's address (GDPR erasure). */
  fromSender(sender: string): Promise<QuarantinedMail[]>;
  /** Overwrites a record with its erased form, which is no longer filed under the sender. */
  replaceErased(mail: QuarantinedMail): Promise<void>;
}

/** Where domain events go (an EventBridge bus). */
export interface EventPublisher {
  /** Publishes the events (in order); returns those the bus did not accept. */
  publish(events: DomainEvent[]): Promise<{ failed: DomainEvent[] }>;
}

/** One counter item of a report: its sort key and figures. */
export interface CounterItem {
  key: string;
  figures: Record<string, unknown>;
}

/** One event's counter updates. */
export interface EventUpdates {
  eventId: string;
  updates: CounterUpdate[];
}

/** What became of one event of a batch: counted now, counted before (false), or not written. */
export type ApplyOutcome = { counted: boolean } | { error: unknown };

/** The report counters, maintained from the domain events. */
export interface ReportStore {
  /** Applies each event's updates once, several events per write; an outcome per event, in order. */
  applyAll(events: EventUpdates[], now: Date): Promise<ApplyOutcome[]>;
  /** A report's counter items, in key order (within `from`..`to` of the sort key when given). */
  counters(report: string, from?: string, to?: string): Promise<CounterItem[]>;
  /**
   * One page of a report's counter items within `from`..`to` of the sort key, in descending key order,
   * and the cursor of the next page (none on the last).
   */
  counterPage(
    report: string,
    from: string,
    to: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: CounterItem[]; cursor?: string | undefined }>;
}
