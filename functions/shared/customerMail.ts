import type { ComplaintStore, Mailer } from '../adapters/ports';
import type { Complaint, MessageEntry } from '../core/complaint';
import { outboundHeaders } from '../core/mail/outboundHeaders';
import type { RenderedMail } from '../core/mail/templates';

export interface CustomerMailOptions {
  purpose: NonNullable<MessageEntry['purpose']>;
  automatic: boolean;
  inReplyTo?: string;
  references?: string[];
  /** Deterministic id of the timeline entry, so a retried step does not record the mail twice. */
  entryId: string;
  now: Date;
  supportAddress: string;
  mailDomain: string;
}

/** support+<token>@domain: replies come back with a token that names the complaint. */
export function replyAddress(supportAddress: string, token: string): string {
  const [local, domain] = supportAddress.split('@');
  return `${local}+${token}@${domain}`;
}

/**
 * Sends a mail to the complaint's customer and records it: the SES MessageId is mapped to the complaint
 * (SES replaces our Message-ID, so replies and bounces are matched on it) and the mail joins the timeline.
 */
export async function mailCustomer(
  deps: { store: ComplaintStore; mailer: Mailer },
  complaint: Complaint,
  mail: RenderedMail,
  options: CustomerMailOptions,
): Promise<string> {
  const sesMessageId = await deps.mailer.send({
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
  });
  await deps.store.recordOutbound(sesMessageId, complaint.id);
  await deps.store.append(complaint.id, [
    {
      kind: 'message',
      id: options.entryId,
      at: options.now.toISOString(),
      direction: 'outbound',
      messageId: sesMessageId,
      from: options.supportAddress,
      to: [complaint.customerEmail],
      subject: mail.subject,
      text: mail.text,
      purpose: options.purpose,
    },
  ]);
  return sesMessageId;
}
