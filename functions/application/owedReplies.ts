import type { AuditEntry, TimelineEntry } from '../core/complaint';
import { erasedText, isErased } from '../core/erasure';
import { agentReplyMail } from '../core/mail/templates';
import { mailCustomerOnce } from './customerMail';
import type { Deps } from './deps';
import { loadWithTimeline } from './workflowSupport';

/** What became of the reply a first response owes. */
export type OwedReplyOutcome =
  /** On the timeline already: the request that recorded it (or its retry) mailed it. */
  | 'mailed before'
  /** Sent now (or found recorded sent by the ledger, or suppressed: the timeline says why). */
  | 'mailed'
  /** The customer was erased: their reply is no longer theirs to get. */
  | 'erased'
  /** A first response recorded before first responses kept their reply's text: nothing to send from. */
  | 'no text';

/** The first response (`recordReply` audit entry) `auditId` names, with the reply it owes. */
export function owedReplyOf(timeline: readonly TimelineEntry[], auditId: string) {
  const audit = timeline.find(
    (e): e is AuditEntry => e.kind === 'audit' && e.id === auditId && e.action === 'recordReply',
  );
  const entryId = audit?.details?.entryId;
  if (typeof entryId !== 'string') return undefined;
  const text = audit?.details?.replyText;
  return { entryId, text: typeof text === 'string' ? text : undefined };
}

/**
 * The reply outbox: makes sure the reply a first response announced reached the customer. The API
 * records the first response (with the reply's text and the mail's send lease) before it mails the
 * reply, so a request that dies in between (kill -9, a timeout, SES failing) leaves a reply owed that
 * nobody may ask for again. The first response's domain event (`CustomerContacted` via `reply`, whose
 * id is its audit entry's) brings it here: the reply is sent with the request's own send-once key, so
 * it goes out once whoever sends it. While the request still holds the lease this throws
 * `OutboundMailInFlightError` (retryable): once the lease has run out the mail is either recorded sent
 * or taken over and sent here. A complaint whose customer was erased since gets nothing.
 */
export async function mailOwedReply(
  deps: Pick<Deps, 'store' | 'mailer' | 'ledger' | 'settings' | 'clock'>,
  complaintId: string,
  auditId: string,
): Promise<OwedReplyOutcome> {
  // The complaint and its timeline in one read.
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  const owed = owedReplyOf(timeline, auditId);
  // The event exists only because its audit entry committed: not finding it is a fault, not a no-op.
  if (!owed) throw new Error(`Complaint ${complaintId} has no first response ${auditId} naming its reply`);
  if (timeline.some((e) => e.id === owed.entryId)) return 'mailed before';
  if (isErased(complaint) || owed.text === erasedText) return 'erased';
  if (owed.text === undefined) return 'no text';
  await mailCustomerOnce(
    deps,
    complaint,
    agentReplyMail(complaint, owed.text),
    'reply',
    owed.entryId,
    deps.clock(),
    false,
    timeline,
  );
  return 'mailed';
}
