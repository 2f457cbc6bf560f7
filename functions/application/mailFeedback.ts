import { createHash } from 'node:crypto';
import type { ComplaintStore } from '../adapters/ports';
import { type Actor, type AuditEntry, type Complaint, transition } from '../core/complaint';
import { erasedFor, pseudonymFor } from '../core/erasure';
import { ConflictError } from '../core/errors';
import type { QuarantinedMail } from '../core/mail/filing';
import {
  feedbackEntry,
  feedbackEntryId,
  type MailFeedback,
  parseSesEvent,
  readMailFeedback,
  type SesEvent,
  undeliverableOf,
} from '../core/mail/sesFeedback';
import type { QuarantineReason } from '../core/mail/verdicts';
import type { Deps } from './deps';

/** What filing SES feedback needs: the complaints, the mail ledger, the quarantine and the clock. */
type FeedbackDeps = Pick<Deps, 'store' | 'ledger' | 'quarantine' | 'clock'>;

/** One SES event notification as SNS delivered it. */
export interface FeedbackNotification {
  /** The SNS MessageId: names a notification that cannot be filed, so a redelivery holds the same item. */
  id: string;
  /** The SNS Message: the SES event record (JSON). */
  message: string;
}

export type FeedbackOutcome =
  | { filed: 'complaint'; complaintId: string; eventType: SesEvent['eventType']; undeliverable: boolean }
  | { filed: 'quarantine'; quarantineId: string; reason: QuarantineReason };

const ses: Actor = { kind: 'system', id: 'ses' };

/**
 * Files one SES sending event on the complaint whose mail it concerns, found by the mail's SES MessageId
 * in the mail ledger (or the complaint and mail tags SES returns with the event, for an event faster
 * than the ledger's record). One timeline entry per SES message id and event type: a redelivered notification
 * changes nothing. A permanent bounce or a spam complaint also marks the address undeliverable (no
 * automatic mail goes to it any more) and flags the complaint for an agent, who must reach the customer
 * another way. An event that is unreadable or names no mail of ours is quarantined with the reason.
 */
export async function fileMailFeedback(
  deps: FeedbackDeps,
  notification: FeedbackNotification,
): Promise<FeedbackOutcome> {
  const now = deps.clock();
  const parsed = parseSesEvent(notification.message);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || 'message'}: ${i.message}`)
      .join('; ');
    return quarantine(deps, notification, now, { code: 'unreadable_ses_event', detail });
  }
  const feedback = readMailFeedback(parsed.data);
  const record = await deps.ledger.findOutboundMail(feedback.sesMessageId);
  const complaintId = record?.complaintId ?? feedback.taggedComplaint;
  const complaint = complaintId ? await deps.store.get(complaintId) : undefined;
  if (!complaint) {
    return quarantine(deps, notification, now, {
      code: 'unknown_ses_message',
      detail: `SES ${feedback.eventType} event for ${feedback.sesMessageId}, a mail no complaint sent`,
      feedback,
      event: parsed.data,
    });
  }
  const mark = undeliverableOf(feedback);
  if (mark) {
    for (const address of feedback.recipients) {
      // An erased customer's address is marked no more (the erasure forgot its marks; nothing is mailed
      // to the pseudonym); the customer's only while the complaint still names them, checked in the
      // same write, since an erasure that saves it now forgets the marks before it ends.
      if (pseudonymFor(address) === complaint.customerEmail) continue;
      const customerOf = address === complaint.customerEmail ? complaint.id : undefined;
      await deps.ledger.markUndeliverable(address, { ...mark, complaintId: complaint.id }, customerOf);
    }
  }
  const mailId = record?.mailId ?? feedback.taggedMail;
  // A bounce may also come back as a bounce mail to the inbound address: whichever arrives first is
  // filed, the other only leaves its mark (the bounce mail's raw mail and claim are kept).
  const file =
    feedback.eventType !== 'Bounce' ||
    (await deps.ledger.claimBounceFiling(feedback.sesMessageId, feedbackEntryId(feedback)));
  const flagged = await recordOnComplaint(deps.store, complaint, feedback, mailId, mark, now, file);
  return {
    filed: 'complaint',
    complaintId: complaint.id,
    eventType: feedback.eventType,
    undeliverable: flagged,
  };
}

/**
 * Appends the event's entry unless the timeline has it (or `file` is false: a bounce mail filed the
 * bounce already); a mark flags the complaint in the same write (conditional on its version, retried on
 * a concurrent change) unless it is flagged already, or its customer is no recipient. Whether it flagged.
 *
 * The customer may have been erased since the mail went out (SES reports within seconds, a delayed
 * bounce days later), or be erased between the read and the write: the entry is written only while the
 * complaint still names the customer it was made for (the version, or a check in the same write), and
 * else made again from the complaint read anew, as the erasure leaves entries: with the address's
 * pseudonym, flagging nothing.
 */
async function recordOnComplaint(
  store: ComplaintStore,
  first: Complaint,
  feedback: MailFeedback,
  mailId: string | undefined,
  mark: Complaint['undeliverable'],
  now: Date,
  file: boolean,
): Promise<boolean> {
  let complaint = first;
  for (let attempt = 1; ; attempt++) {
    const erased = feedback.recipients.filter((a) => pseudonymFor(a) === complaint.customerEmail);
    const asErased = (entry: AuditEntry) => erased.reduce(erasedFor, entry);
    const flag = Boolean(mark) && feedback.recipients.includes(complaint.customerEmail);
    const filed =
      !file || (await store.timeline(complaint.id)).some((e) => e.id === feedbackEntryId(feedback));
    const entries = filed ? [] : [asErased(feedbackEntry(complaint, feedback, mailId))];
    try {
      if (!flag || complaint.undeliverable) {
        if (entries.length === 0 || (await store.append(complaint.id, entries, complaint.customerEmail)))
          return flag;
        throw new ConflictError('The complaint’s customer was erased meanwhile');
      }
      const { complaint: next, audit } = transition(
        complaint,
        'recordUndeliverable',
        complaint.status,
        ses,
        now,
        { undeliverable: mark },
        { sesMessageId: feedback.sesMessageId, reason: mark?.reason },
      );
      await store.save(next, [...entries, audit]);
      return true;
    } catch (e) {
      const current = e instanceof ConflictError && attempt < 5 ? await store.get(complaint.id) : undefined;
      if (!current) throw e;
      complaint = current;
    }
  }
}

/** Holds a notification that cannot be filed, keyed by its SNS MessageId (a redelivery finds it held). */
async function quarantine(
  deps: FeedbackDeps,
  notification: FeedbackNotification,
  now: Date,
  reason: QuarantineReason & { feedback?: MailFeedback; event?: SesEvent },
): Promise<FeedbackOutcome> {
  const { feedback, event, ...held } = reason;
  const at = now.toISOString();
  const address = feedback?.recipients[0];
  const mail: QuarantinedMail = {
    id: createHash('sha256').update(`ses-event#${notification.id}`).digest('hex').slice(0, 26),
    status: 'quarantined',
    reasons: [held],
    delivery: {
      sesMessageId: feedback?.sesMessageId ?? '',
      rawMailKey: '',
      receivedAt: at,
      source: event?.mail.source ?? '',
      recipients: event?.mail.destination ?? [],
      // No receipt ran: this is SES's report about our own mail.
      verdicts: { spam: 'DISABLED', virus: 'DISABLED', spf: 'DISABLED', dkim: 'DISABLED', dmarc: 'DISABLED' },
    },
    summary: {
      ...(address ? { from: address } : {}),
      to: event?.mail.destination ?? [],
      subject: feedback ? `SES ${feedback.eventType}: ${feedback.summary}`.slice(0, 200) : 'SES event',
      ...(feedback ? { messageId: feedback.sesMessageId } : {}),
      sizeBytes: Buffer.byteLength(notification.message),
      attachments: [],
      preview: notification.message.slice(0, 500),
    },
    sesEvent: { notification: notification.message, ...(address ? { address } : {}) },
    quarantinedAt: at,
  };
  const stored = await deps.quarantine.hold(mail);
  return { filed: 'quarantine', quarantineId: stored.id, reason: held };
}
