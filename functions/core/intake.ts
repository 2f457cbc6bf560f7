import type { AuditEntry, Complaint, MessageEntry } from './complaint';
import type { InboundMail } from './mail/inboundMail';

export interface OpenComplaintInput {
  id: string;
  reference: string;
  threadToken: string;
  mail: InboundMail;
  /** Where the raw MIME is kept. */
  rawMailKey: string;
  /** Receipt time from the SES event: stable across redeliveries, so retried writes hit the same keys. */
  receivedAt: Date;
  supportAddress: string;
}

/**
 * A new complaint from a customer's first mail: the complaint in `received`, its first message and
 * the audit event that records its creation.
 */
export function openComplaint(input: OpenComplaintInput): {
  complaint: Complaint;
  entries: [MessageEntry, AuditEntry];
} {
  const { mail, receivedAt } = input;
  const at = receivedAt.toISOString();
  const customerEmail = (mail.from?.address ?? '').toLowerCase();
  const subject = mail.subject.trim() || '(no subject)';
  const complaint: Complaint = {
    id: input.id,
    reference: input.reference,
    status: 'received',
    tier: 1,
    priority: 'normal',
    customerEmail,
    ...(mail.from?.name ? { customerName: mail.from.name } : {}),
    subject,
    threadToken: input.threadToken,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const message: MessageEntry = {
    kind: 'message',
    id: `${input.id}-m0`,
    at,
    direction: 'inbound',
    ...(mail.messageId ? { messageId: mail.messageId } : {}),
    from: customerEmail,
    to: mail.to.length > 0 ? mail.to : [input.supportAddress],
    subject,
    text: mail.text,
    rawMailKey: input.rawMailKey,
    purpose: 'customer',
  };
  const audit: AuditEntry = {
    kind: 'audit',
    id: `${input.id}-v1`,
    at,
    action: 'receive',
    actor: { kind: 'customer', id: customerEmail, email: customerEmail },
    toStatus: 'received',
    version: 1,
    details: { reference: input.reference },
  };
  return { complaint, entries: [message, audit] };
}
