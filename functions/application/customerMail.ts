import { randomUUID } from 'node:crypto';
import type { ComplaintStore, MailLedger, SendLease, SentMail } from '../adapters/ports';
import type { AuditEntry, Complaint, MessageEntry, TimelineEntry } from '../core/complaint';
import { isValidAddress } from '../core/mail/addresses';
import { automaticMailBlockedFor, automaticMailWindow, ownMailOf } from '../core/mail/loopGuard';
import { complaintTag, mailTag } from '../core/mail/messageTags';
import { outboundHeaders } from '../core/mail/outboundHeaders';
import type { RenderedMail } from '../core/mail/templates';
import type { Deps } from './deps';

export interface CustomerMailOptions {
  purpose: NonNullable<MessageEntry['purpose']>;
  /** Mail no person wrote (acknowledgements, reminders): capped per recipient and loop-guarded. */
  automatic: boolean;
  inReplyTo?: string;
  references?: string[];
  /**
   * Deterministic id of the timeline entry; it is also the mail's send-once key, so a retried step
   * neither records nor sends the mail twice.
   */
  entryId: string;
  now: Date;
  supportAddress: string;
  mailDomain: string;
  /** Loop-guard reasons of the mail being answered: an automatic answer to automated mail is never sent. */
  answersAutomatedMail?: string[];
  /**
   * The mail's send lease, already taken by the caller together with the state change that calls for
   * the mail (`sendLeaseOf` and `ComplaintStore.save`).
   */
  leased?: Pick<SendLease, 'lease' | 'at'>;
  /**
   * Records the mail once SES took it, in place of `MailLedger.completeOutbound` (whose answer it
   * gives: false when the lease was taken over), e.g. together with the state change that follows it.
   */
  recordSent?: (sent: SentMail) => Promise<boolean>;
}

/** Records a mail SES took on its own: `sent`, its SES id record and its timeline entry (false: lease lost). */
export const recordSentAlone = (ledger: Pick<MailLedger, 'completeOutbound'>, sent: SentMail) =>
  ledger.completeOutbound(sent.id, sent.lease, {
    sesMessageId: sent.sesMessageId,
    complaintId: sent.complaintId,
    customerEmail: sent.customerEmail,
    entry: sent.entry,
  });

/** A send lease for the mail `id`, to be taken with a state change (`ComplaintStore.save`). */
export function sendLeaseOf(id: string, now: Date, leaseSeconds: number): SendLease {
  return { id, lease: randomUUID(), at: now.toISOString(), leaseUntil: now.getTime() + leaseSeconds * 1000 };
}

/** What became of a mail to a customer. */
export type CustomerMailResult =
  | { status: 'sent'; sesMessageId: string }
  /** Not sent, by the loop guard or the automatic-mail cap; the timeline records why. */
  | { status: 'suppressed'; reason: string };

/**
 * Another invocation holds the send lease of this mail and is sending it right now. Retryable: once the
 * lease ends the mail is either recorded as sent or may be taken over.
 */
export class OutboundMailInFlightError extends Error {
  static readonly errorName = 'OutboundMailInFlightError';
  override readonly name: string = OutboundMailInFlightError.errorName;
}

/** support+<token>@domain: replies come back with a token that names the complaint. */
export function replyAddress(supportAddress: string, token: string): string {
  const [local, domain] = supportAddress.split('@');
  return `${local}+${token}@${domain}`;
}

type MailDeps = Pick<Deps, 'store' | 'mailer' | 'ledger' | 'settings'>;

/**
 * Sends a mail to the complaint's customer at most once per `entryId` under normal operation, and
 * records it: the SES MessageId is mapped to the complaint (SES replaces our Message-ID, so replies and
 * bounces are matched on it) and the mail joins the timeline.
 *
 * Send-once: an intent item is taken with a conditional write before SES is called, so concurrent or
 * retried callers never send in parallel; a failed SES call gives the lease back for an immediate
 * retry. SES SendEmail has no idempotency token, so one window stays: a caller that dies after SES
 * accepted the mail and before the intent is marked sent leaves a lease that a retry takes over once it
 * expires, sending again. That is at-least-once by choice: a duplicate acknowledgement is a nuisance,
 * a lost resolution mail is a broken promise.
 *
 * Nothing is sent to an invalid address (a complaint whose sender could not be read). Automatic mail
 * is never sent in answer to automated mail, never to robot addresses (noreply,
 * mailer-daemon, postmaster), never to an address SES reported undeliverable (a hard bounce or a spam
 * complaint, see mailFeedback.ts), and at most `autoMailCap` times per recipient and window.
 */
export async function mailCustomer(
  deps: MailDeps,
  complaint: Complaint,
  mail: RenderedMail,
  options: CustomerMailOptions,
): Promise<CustomerMailResult> {
  const { ledger, settings } = deps;
  // The common case first: an automatic mail never begun, to an address nothing holds back: one write.
  const counted = options.leased
    ? undefined
    : await beginCountedAutomaticMail(ledger, settings, complaint, options);
  const intent = options.leased
    ? { state: 'acquired' as const, ...options.leased }
    : (counted ?? (await ledger.beginOutbound(options.entryId, options.now, settings.sendLeaseSeconds)));
  switch (intent.state) {
    case 'busy':
      throw new OutboundMailInFlightError(`Mail ${options.entryId} is being sent by another invocation`);
    case 'suppressed':
      // A retry: the first run recorded why on the timeline, with the details the send-once record does
      // not keep, unless it died before. Written again, the entry would lose them (the same key).
      if (!(await deps.store.timeline(complaint.id)).some((e) => e.id === suppressedEntryId(options)))
        await recordSuppressed(deps.store, complaint, options, intent.reason, intent.at);
      return { status: 'suppressed', reason: intent.reason };
    case 'sent':
      // A retry after the mail was recorded sent: its entry was written with the mark, in one
      // transaction (`MailLedger.completeOutbound`, `ComplaintStore.saveWithSentMail`), and is left as
      // it is. Written again from this caller's complaint, read before the record, it would put back
      // the address, subject and text an erasure since removed (the entry's key is the same).
      return { status: 'sent', sesMessageId: intent.sesMessageId };
  }
  // Only to an address that was read, never to a guess or a placeholder (see filedSender).
  const suppressed = counted
    ? undefined
    : !isValidAddress(complaint.customerEmail)
      ? `invalid recipient: ${complaint.senderInvalid ?? complaint.customerEmail}`
      : options.automatic
        ? await automaticMailSuppression(ledger, settings, complaint, options)
        : undefined;
  if (suppressed) {
    await ledger.completeOutbound(options.entryId, intent.lease, { suppressed: suppressionKind(suppressed) });
    await recordSuppressed(deps.store, complaint, options, suppressed, intent.at);
    return { status: 'suppressed', reason: suppressed };
  }

  let sesMessageId: string;
  try {
    sesMessageId = await deps.mailer.send({
      to: [complaint.customerEmail],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      replyTo: [replyAddress(options.supportAddress, complaint.threadToken)],
      headers: outboundHeaders({
        automatic: options.automatic,
        mailDomain: options.mailDomain,
        ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
        ...(options.references ? { references: options.references } : {}),
      }),
      // SES events name the mail by its SES MessageId; the tags name the complaint and the mail even for
      // an event that arrives before the id is recorded below (the mailer leaves out a tag SES would refuse).
      tags: { [complaintTag]: complaint.id, [mailTag]: options.entryId },
    });
  } catch (error) {
    // SES refused or the call failed: nothing went out (bar a timeout after acceptance), so let a retry send.
    await ledger.abandonOutbound(options.entryId, intent.lease);
    throw error;
  }
  const sent: SentMail = {
    id: options.entryId,
    lease: intent.lease,
    sesMessageId,
    complaintId: complaint.id,
    customerEmail: complaint.customerEmail,
    entry: sentEntry(complaint, mail, options, sesMessageId, intent.at),
  };
  const ours = options.recordSent ? await options.recordSent(sent) : await recordSentAlone(ledger, sent);
  if (!ours) {
    // Our lease was taken over while SES was slow: the taker records its copy; ours still maps to the
    // complaint so that a reply to it, its bounce or its SES events find it.
    await ledger.recordOutboundMail(sesMessageId, { complaintId: complaint.id, mailId: options.entryId });
  }
  return { status: 'sent', sesMessageId };
}

/**
 * The lease of an automatic mail taken, the address checked and the mail counted in one write, when
 * nothing already known holds it back; undefined when that write was refused or not tried, and
 * {@link automaticMailSuppression} decides step by step.
 */
async function beginCountedAutomaticMail(
  ledger: Deps['ledger'],
  settings: Deps['settings'],
  complaint: Complaint,
  options: CustomerMailOptions,
) {
  const recipient = complaint.customerEmail;
  if (
    !options.automatic ||
    !isValidAddress(recipient) ||
    options.answersAutomatedMail?.length ||
    automaticMailBlockedFor(recipient, ownMailOf(settings)) ||
    complaint.undeliverable
  )
    return undefined;
  return ledger.beginAutomaticOutbound(options.entryId, options.now, settings.sendLeaseSeconds, {
    recipient,
    windowStart: automaticMailWindow(options.now, settings.autoMailWindowSeconds),
    windowSeconds: settings.autoMailWindowSeconds,
    max: settings.autoMailCap,
  });
}

/** Why an automatic mail must not go out, or undefined. Counts it against the cap when it may. */
async function automaticMailSuppression(
  ledger: Deps['ledger'],
  settings: Deps['settings'],
  complaint: Complaint,
  options: CustomerMailOptions,
): Promise<string | undefined> {
  const recipient = complaint.customerEmail;
  if (options.answersAutomatedMail?.length)
    return `loop guard: the mail answered is automated (${options.answersAutomatedMail.join('; ')})`;
  const blocked = automaticMailBlockedFor(recipient, ownMailOf(settings));
  if (blocked) return `loop guard: ${blocked}`;
  // SES reported the address dead or complaining (this complaint's mail, or any earlier one's).
  const undeliverable = complaint.undeliverable ?? (await ledger.findUndeliverable(recipient));
  if (undeliverable)
    return `undeliverable address: ${undeliverable.reason} (SES ${undeliverable.eventType} at ${undeliverable.at})`;
  const window = automaticMailWindow(options.now, settings.autoMailWindowSeconds);
  const count = await ledger.countAutomaticMail(recipient, window, settings.autoMailWindowSeconds);
  // Without the address: the reason is kept on the mail's send-once record too, which an erasure does
  // not rewrite (the timeline entry that records it names the recipient, and is erased).
  return count > settings.autoMailCap
    ? `cap: more than ${settings.autoMailCap} automatic mails to the recipient within ${settings.autoMailWindowSeconds} s`
    : undefined;
}

/** The timeline entry of a sent mail (on the deterministic key of the send: re-adding it is harmless). */
function sentEntry(
  complaint: Complaint,
  mail: RenderedMail,
  options: CustomerMailOptions,
  sesMessageId: string,
  at: string,
): MessageEntry {
  return {
    kind: 'message',
    id: options.entryId,
    at,
    direction: 'outbound',
    messageId: sesMessageId,
    from: options.supportAddress,
    to: [complaint.customerEmail],
    subject: mail.subject,
    text: mail.text,
    purpose: options.purpose,
  };
}

const suppressedEntryId = (options: Pick<CustomerMailOptions, 'entryId'>) => `${options.entryId}-suppressed`;

/**
 * What the mail's send-once record keeps of why it was not sent: the kind of reason alone (`loop
 * guard`, `undeliverable address`, `cap`, `invalid recipient`). The details name the recipient or quote
 * their mail (a bounce's diagnostic, an auto-reply's subject), and no erasure finds that record: they
 * stay on the timeline entry, which an erasure rewrites.
 */
const suppressionKind = (reason: string) => reason.split(':')[0] ?? reason;

/** The timeline says why a mail the customer might expect was not sent (no state change). */
async function recordSuppressed(
  store: ComplaintStore,
  complaint: Complaint,
  options: CustomerMailOptions,
  reason: string,
  at: string,
) {
  const entry: AuditEntry = {
    kind: 'audit',
    id: suppressedEntryId(options),
    at,
    action: 'automaticMailSuppressed',
    actor: { kind: 'system', id: 'mail' },
    toStatus: complaint.status,
    version: complaint.version,
    details: { purpose: options.purpose, recipient: complaint.customerEmail, reason },
  };
  // It names the customer: written only while the complaint still does, else as the erasure that
  // came meanwhile (whose last pass over the timeline may be over) leaves entries.
  if (await store.append(complaint.id, [entry], complaint.customerEmail)) return;
  // (The erasure's code only here, out of the workflow steps' cold start.)
  const { erasedFor } = await import('../core/erasure');
  await store.append(complaint.id, [erasedFor(entry, complaint.customerEmail)]);
}

const firstInbound = (timeline: TimelineEntry[]) =>
  timeline.find((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound');

/**
 * Mails the customer once per `entryId`: a workflow step retried after the mail went out finds the
 * entry on the timeline and does not send again. Threads under the customer's first mail. A caller
 * that has just read the timeline passes it (`timeline`), saving a read; any read from before the mail
 * was recorded will do, since the check is on the mail's own entry. `leased`: the caller took the
 * mail's send lease with the state change that calls for it (see `CustomerMailOptions.leased`).
 */
export async function mailCustomerOnce(
  deps: Pick<Deps, 'store' | 'mailer' | 'ledger' | 'settings'>,
  complaint: Complaint,
  mail: RenderedMail,
  purpose: NonNullable<MessageEntry['purpose']>,
  entryId: string,
  now: Date,
  automatic = true,
  known?: TimelineEntry[],
  leased?: CustomerMailOptions['leased'],
): Promise<void> {
  const timeline = known ?? (await deps.store.timeline(complaint.id));
  if (timeline.some((e) => e.id === entryId)) return;
  const { settings } = deps;
  const first = firstInbound(timeline);
  await mailCustomer(deps, complaint, mail, {
    purpose,
    automatic,
    entryId,
    now,
    supportAddress: settings.supportAddress,
    mailDomain: settings.mailDomain,
    ...(first?.messageId ? { inReplyTo: first.messageId } : {}),
    ...(leased ? { leased } : {}),
  });
}
