import type { Actor, Complaint, MessageEntry, TimelineEntry, TransitionResult } from './complaint';
import { transition } from './complaint';
import { addressDigest } from './customerId';
import type { InboundClaim, QuarantinedMail } from './mail/filing';
import { escapeRegExp } from './text';

/** What replaces erased free text (message texts and subjects, notes, the complaint subject). */
export const erasedText = '[erased]';

/**
 * The stable stand-in for an erased customer address: the same address always maps to the same
 * pseudonym (so a repeated erasure finds nothing left and audit trails stay linkable), and `.invalid`
 * (RFC 2606) can never receive mail.
 */
export function pseudonymFor(email: string): string {
  return `erased-${addressDigest(email)}@invalid`;
}

const pseudonymPattern = /^erased-[0-9a-f]{16}@invalid$/;

/** Whether an address is an erasure's pseudonym (no address a customer can have: `.invalid`, one label). */
export const isPseudonym = (address: string) => pseudonymPattern.test(address);

/** Whether the complaint's customer was erased: the erasure gave its address the pseudonym. */
export const isErased = (complaint: Pick<Complaint, 'customerEmail'>) => isPseudonym(complaint.customerEmail);

/** Replaces every occurrence of the address (any case) in a string. */
function scrub(value: string, email: string, pseudonym: string): string {
  return value.replace(new RegExp(escapeRegExp(email), 'gi'), pseudonym);
}

/** A JSON value with the address replaced everywhere (actors, recipients, details). */
const scrubAll = <T>(value: T, email: string, pseudonym: string): T =>
  JSON.parse(scrub(JSON.stringify(value), email, pseudonym)) as T;

/** Object keys (raw mail, attachments) that an erasure deletes from the raw-mail store. */
export function storedObjectKeys(entries: readonly TimelineEntry[]): string[] {
  return entries.flatMap((e) =>
    e.kind === 'message'
      ? [...(e.rawMailKey ? [e.rawMailKey] : []), ...(e.attachments ?? []).map((a) => a.key)]
      : [],
  );
}

/**
 * One timeline entry with the customer's personal data removed: message subjects and texts, note texts
 * and the reply text a first response keeps become "[erased]", attachments and raw-mail references go
 * (the objects are deleted), the address becomes its pseudonym wherever it appears (audit events stay,
 * with customer actors and details pseudonymised). Returns undefined when there is nothing left to erase.
 */
export function eraseEntry(
  entry: TimelineEntry,
  email: string,
  pseudonym: string,
): TimelineEntry | undefined {
  const scrubbed = scrubAll(entry, email, pseudonym);
  let next: TimelineEntry = scrubbed;
  if (scrubbed.kind === 'message') {
    const { rawMailKey: _raw, attachments: _files, ...rest } = scrubbed;
    next = { ...rest, subject: erasedText, text: erasedText };
  } else if (scrubbed.kind === 'note') {
    next = { ...scrubbed, text: erasedText };
  } else if (scrubbed.kind === 'audit' && typeof scrubbed.details?.replyText === 'string') {
    // The first response keeps the text of the reply it owes (`recordReply`).
    next = { ...scrubbed, details: { ...scrubbed.details, replyText: erasedText } };
  }
  return JSON.stringify(next) === JSON.stringify(entry) ? undefined : next;
}

/** An entry as the erasure of `email` leaves it (itself when it does not name them). */
export const erasedFor = <T extends TimelineEntry>(entry: T, email: string): T =>
  (eraseEntry(entry, email, pseudonymFor(email)) as T | undefined) ?? entry;

/**
 * The complaint with the customer's personal data removed (address pseudonymised, name and subject
 * erased), recorded by an `erase` audit event. Status and lifecycle data are kept.
 */
export function eraseComplaint(
  c: Complaint,
  email: string,
  actor: Actor,
  now: Date,
  summary: { messagesErased: number; objectsDeleted: number },
): TransitionResult {
  const pseudonym = pseudonymFor(email);
  const { customerName: _name, ...rest } = scrubAll(c, email, pseudonym);
  return transition(
    rest,
    'erase',
    c.status,
    actor,
    now,
    { customerEmail: pseudonym, subject: erasedText },
    summary,
  );
}

/** The recurring-issue windows a complaint was counted in, from its investigation audit events. */
export function recurringWindowsOf(entries: readonly TimelineEntry[]): string[] {
  const keys = entries.flatMap((e) => {
    if (e.kind !== 'audit' || e.action !== 'startInvestigation') return [];
    const window = e.details?.recurringWindow;
    return typeof window === 'string' ? [window] : [];
  });
  return [...new Set(keys)];
}

/**
 * A quarantined (or released) mail with the sender's personal data removed: the summary's subject,
 * preview and attachment names erased (and the notification text of a held SES event), the address
 * pseudonymised; reasons, verdicts and sizes stay. The
 * raw MIME is deleted by the caller, so the record can no longer be released (status `erased`).
 */
export function eraseQuarantinedMail(
  mail: QuarantinedMail,
  email: string,
  actor: Actor,
  now: Date,
): QuarantinedMail {
  const scrubbed = scrubAll(mail, email, pseudonymFor(email));
  return {
    ...scrubbed,
    status: 'erased',
    summary: {
      ...scrubbed.summary,
      subject: erasedText,
      preview: erasedText,
      attachments: scrubbed.summary.attachments.map(({ filename: _name, ...rest }) => rest),
    },
    // A held SES event carries the mail's headers (subject, names): only its reasons stay.
    ...(scrubbed.sesEvent ? { sesEvent: { ...scrubbed.sesEvent, notification: erasedText } } : {}),
    erased: { by: actor, at: now.toISOString() },
  };
}

/** An inbound claim with the sender's address pseudonymised (sender and dedupe key). */
export const eraseInboundClaim = (claim: InboundClaim, email: string): InboundClaim =>
  scrubAll(claim, email, pseudonymFor(email));

/** An address within free text (a diagnostic code, a loop-guard reason quoting a header). */
const addressInText = /[\w.!#$%&'*+/=?^`{|}~-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;

/**
 * An inbound mail that threads into an erased complaint (a bounce of a mail sent to the customer, their
 * out-of-office, a reply on the thread), recorded as the erasure leaves a message: that it arrived, when,
 * its Message-ID and what it was (a bounce with the delivery status, automated mail with the loop guard's
 * findings), with subject and text `[erased]`, without raw mail or attachments (the caller keeps neither),
 * and every address replaced by its pseudonym (the erased customer's is the complaint's) except those
 * `keep` names: the system's own and robots' (MAILER-DAEMON), which name no person. The addresses
 * replaced are also scrubbed from the Message-ID, as the erasure scrubs the customer's.
 */
export function erasedArrival(message: MessageEntry, keep: (address: string) => boolean): MessageEntry {
  const replaced = new Set<string>();
  const pseudonymise = (text: string) =>
    text.replace(addressInText, (address) => {
      if (keep(address)) return address;
      replaced.add(address);
      return pseudonymFor(address);
    });
  const {
    rawMailKey: _raw,
    attachments: _files,
    messageId,
    automated,
    senderInvalid,
    deliveryFailure,
    ...rest
  } = message;
  const entry: MessageEntry = {
    ...rest,
    from: pseudonymise(rest.from),
    to: rest.to.map(pseudonymise),
    subject: erasedText,
    text: erasedText,
    ...(automated ? { automated: automated.map(pseudonymise) } : {}),
    ...(senderInvalid ? { senderInvalid: pseudonymise(senderInvalid) } : {}),
    ...(deliveryFailure
      ? {
          deliveryFailure: {
            ...deliveryFailure,
            ...(deliveryFailure.recipient ? { recipient: pseudonymise(deliveryFailure.recipient) } : {}),
            ...(deliveryFailure.diagnostic ? { diagnostic: pseudonymise(deliveryFailure.diagnostic) } : {}),
          },
        }
      : {}),
  };
  if (!messageId) return entry;
  const scrubbed = [...replaced].reduce(
    (id, address) => scrub(id, address, pseudonymFor(address)),
    messageId,
  );
  return { ...entry, messageId: scrubbed };
}
