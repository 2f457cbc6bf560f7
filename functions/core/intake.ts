import type { AuditEntry, Complaint, DeliveryFailure, MessageAttachment, MessageEntry } from './complaint';
import { auditFacts } from './complaint';
import type { InboundMail } from './mail/inboundMail';

/** Longest subject kept (RFC 5322 §2.1.1 caps a line at 998 characters; agents need far less). */
const maxSubjectLength = 500;
/** Attachments listed on one timeline entry; all of them are stored, the entry stays under 400 KB. */
export const maxListedAttachments = 100;

export interface InboundMessageInput {
  /** Deterministic entry id, so a redelivered mail rewrites the same timeline item. */
  id: string;
  mail: InboundMail;
  /** The sender as filed: the From address, or the envelope sender when there is no From. */
  sender: string;
  /** Receipt time of the first delivery: stable across redeliveries, so retried writes hit the same keys. */
  receivedAt: Date;
  /** Where the raw MIME is kept. */
  rawMailKey: string;
  supportAddress: string;
  attachments: MessageAttachment[];
  /** Loop-guard reasons; empty for mail a person wrote. */
  automated: string[];
  /** Why `sender` is a placeholder (see `filedSender`). */
  senderInvalid?: string;
  /** Largest text (UTF-8 bytes) kept on the timeline; DynamoDB items are limited to 400 KB. */
  maxTextBytes: number;
  deliveryFailure?: DeliveryFailure;
}

/** The subject as filed: trimmed, `(no subject)` when empty, capped. */
export function filedSubject(subject: string): string {
  return (subject.trim() || '(no subject)').slice(0, maxSubjectLength);
}

/**
 * The text as the timeline keeps it: whole up to `maxBytes` (UTF-8), otherwise cut at a character
 * boundary with a note saying how much was left out and where the whole mail is.
 */
export function fitText(text: string, maxBytes: number, rawMailKey: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
  const kept = new TextDecoder('utf-8').decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD+$/, '');
  return `${kept}\n\n[Truncated: the text has ${bytes.length} bytes, the first ${maxBytes} are shown. The whole mail is kept as ${rawMailKey}.]`;
}

/** An inbound mail as a timeline message (a customer's mail, automated mail or a bounce). */
export function inboundMessage(input: InboundMessageInput): MessageEntry {
  const { mail } = input;
  const listed = input.attachments.slice(0, maxListedAttachments);
  const omitted = input.attachments.length - listed.length;
  const text = fitText(mail.text, input.maxTextBytes, input.rawMailKey);
  return {
    kind: 'message',
    id: input.id,
    at: input.receivedAt.toISOString(),
    direction: 'inbound',
    ...(mail.messageId ? { messageId: mail.messageId } : {}),
    from: input.sender,
    to: mail.to.length > 0 ? mail.to : [input.supportAddress],
    subject: filedSubject(mail.subject),
    text: omitted > 0 ? `${text}\n\n[${omitted} more attachments are stored beside the raw mail.]` : text,
    rawMailKey: input.rawMailKey,
    purpose: input.deliveryFailure ? 'bounce' : 'customer',
    ...(listed.length > 0 ? { attachments: listed } : {}),
    ...(input.automated.length > 0 ? { automated: input.automated } : {}),
    ...(input.senderInvalid ? { senderInvalid: input.senderInvalid } : {}),
    ...(input.deliveryFailure ? { deliveryFailure: input.deliveryFailure } : {}),
  };
}

export interface OpenComplaintInput {
  id: string;
  reference: string;
  threadToken: string;
  /** The first message, built with {@link inboundMessage}. */
  message: MessageEntry;
  customerName?: string;
  /** The closed complaint this one continues. */
  linkedTo?: string;
}

/**
 * A new complaint from a customer's first mail: the complaint in `received`, its first message and
 * the audit event that records its creation.
 */
export function openComplaint(input: OpenComplaintInput): {
  complaint: Complaint;
  entries: [MessageEntry, AuditEntry];
} {
  const { message } = input;
  const customerEmail = message.from.toLowerCase();
  const complaint: Complaint = {
    id: input.id,
    reference: input.reference,
    status: 'received',
    tier: 1,
    priority: 'normal',
    customerEmail,
    ...(message.senderInvalid ? { senderInvalid: message.senderInvalid } : {}),
    ...(message.automated ? { automated: true as const } : {}),
    ...(input.customerName ? { customerName: input.customerName } : {}),
    subject: message.subject,
    threadToken: input.threadToken,
    ...(input.linkedTo ? { linkedTo: input.linkedTo } : {}),
    createdAt: message.at,
    updatedAt: message.at,
    version: 1,
  };
  const audit: AuditEntry = {
    kind: 'audit',
    id: `${input.id}-v1`,
    at: message.at,
    action: 'receive',
    actor: { kind: 'customer', id: customerEmail, email: customerEmail },
    toStatus: 'received',
    version: 1,
    details: {
      reference: input.reference,
      ...(input.linkedTo ? { linkedTo: input.linkedTo } : {}),
      ...(message.automated ? { automated: message.automated } : {}),
      ...(message.senderInvalid ? { senderInvalid: message.senderInvalid } : {}),
    },
    facts: auditFacts(undefined, complaint),
  };
  return { complaint, entries: [message, audit] };
}
