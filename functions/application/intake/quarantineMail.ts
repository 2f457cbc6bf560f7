import { filedSubject, fitText, maxListedAttachments } from '../../core/intake';
import type { InboundDelivery, IntakeOutcome, QuarantinedMail } from '../../core/mail/filing';
import type { InboundMail } from '../../core/mail/inboundMail';
import type { QuarantineReason } from '../../core/mail/verdicts';
import { complaintIdFor } from '../../core/reference';
import type { Deps } from '../deps';

/** Holds a mail in quarantine with its reasons (one record per mail, whatever the deliveries). */
export async function quarantineMail(
  deps: Deps,
  delivery: InboundDelivery,
  mail: InboundMail,
  reasons: QuarantineReason[],
): Promise<IntakeOutcome> {
  const omitted = mail.attachments.length - maxListedAttachments;
  const held: QuarantinedMail = {
    // One record per mail, not per delivery: a redelivered spam does not show up twice.
    id: complaintIdFor(`quarantine|${mail.dedupeKey}`),
    status: 'quarantined',
    reasons,
    delivery,
    // Within the bounds of a timeline message (inboundMessage), so that the record fits one item too.
    summary: {
      ...(mail.from ? { from: mail.from.address } : {}),
      to: mail.to,
      subject: filedSubject(mail.subject),
      ...(mail.messageId ? { messageId: mail.messageId } : {}),
      ...(mail.date ? { date: mail.date } : {}),
      sizeBytes: mail.sizeBytes,
      attachments: mail.attachments.slice(0, maxListedAttachments).map((a) => ({
        ...(a.filename ? { filename: a.filename } : {}),
        contentType: a.contentType,
        size: a.size,
      })),
      preview:
        fitText(mail.text, 1000, delivery.rawMailKey) +
        (omitted > 0 ? `\n\n[${omitted} more attachments are in the raw mail.]` : ''),
    },
    quarantinedAt: delivery.receivedAt,
  };
  const stored = await deps.quarantine.hold(held);
  deps.logger.warn('inbound mail quarantined', {
    quarantineId: stored.id,
    reasons: stored.reasons,
    rawMailKey: delivery.rawMailKey,
  });
  return { disposition: 'quarantined', quarantineId: stored.id, reasons: stored.reasons };
}
