import type { Actor } from '../complaint';
import { headerValueBounds } from './headerBounds';
import type { SesDmarcPolicy, SesReceiptRecord, SesVerdicts } from './sesReceipt';
import type { QuarantineReason } from './verdicts';

/** One received mail as SES delivered it: where the raw MIME is and what the receipt said. */
export interface InboundDelivery {
  /** SES message id (the S3 object key after the prefix). */
  sesMessageId: string;
  rawMailKey: string;
  receivedAt: string;
  /** Envelope MAIL FROM; '' for the null sender of bounces. */
  source: string;
  /** Envelope RCPT TO addresses. */
  recipients: string[];
  verdicts: SesVerdicts;
  dmarcPolicy?: SesDmarcPolicy;
}

/** The delivery a receipt record describes; the raw mail is at `<prefix><SES message id>`. */
export function deliveryOf(record: SesReceiptRecord, rawMailPrefix: string): InboundDelivery {
  const { mail, receipt } = record.ses;
  return {
    sesMessageId: mail.messageId,
    rawMailKey: `${rawMailPrefix}${mail.messageId}`,
    receivedAt: mail.timestamp,
    source: mail.source,
    // Within the bounds of the header addresses: the delivery is kept whole on a quarantined mail's
    // record (one item), whatever number of our addresses the envelope named.
    recipients: receipt.recipients
      .filter((r) => r.length <= headerValueBounds.address)
      .slice(0, headerValueBounds.addresses),
    verdicts: {
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
    },
    ...(receipt.dmarcPolicy ? { dmarcPolicy: receipt.dmarcPolicy } : {}),
  };
}

/** Where an inbound mail went. */
export type InboundDisposition =
  /** Opened a complaint (acknowledged unless automated or capped). */
  | 'new'
  /** A reply to a complaint closed beyond the reopen window: opened a complaint linked to it. */
  | 'linked'
  /** A customer's reply, handed to the lifecycle. */
  | 'reply'
  /** Automated mail that threaded: stored on the timeline only. */
  | 'automated'
  /** A bounce of one of our mails, filed on its complaint. */
  | 'bounce'
  /**
   * Threaded into a complaint whose customer was erased (GDPR): recorded without personal data, its raw
   * mail deleted; nothing resumed, reopened or answered.
   */
  | 'erased';

/**
 * The first delivery's decision about an inbound mail, recorded with a conditional write on its dedupe
 * key before anything else is written. Redeliveries adopt it and repeat the (idempotent) filing steps
 * with its values, so every write lands on the same keys.
 */
export interface InboundClaim {
  dedupeKey: string;
  messageId?: string;
  complaintId: string;
  disposition: InboundDisposition;
  /**
   * The sender as filed (From, or the envelope sender when there is no From), or a placeholder without
   * `@` when neither is a valid address (see `filedSender`).
   */
  sender: string;
  /** Why the sender is a placeholder. */
  senderInvalid?: string;
  /** Receipt time, raw mail and SES id of the first delivery. */
  receivedAt: string;
  rawMailKey: string;
  sesMessageId: string;
  contentDigest: string;
  /** Reply-to token of a new complaint (random, so chosen once, here). */
  threadToken?: string;
  /** For `linked`: the closed complaint it continues. */
  linkedTo?: string;
  /** For `bounce` (and `erased`, of a bounce): the SES MessageId of the outbound mail that bounced. */
  failedSesMessageId?: string;
}

/**
 * A raw mail deleted on purpose (a customer's erasure, or mail filed on an erased thread): recorded before
 * the deletion, so that a delivery of it that comes again (Lambda delivers at least once) finds this
 * instead of failing on the missing object. Where the mail had gone: its complaint, or its quarantine
 * record.
 */
export interface RawMailErasure {
  erasedAt: string;
  complaintId?: string;
  quarantineId?: string;
}

/** The outcome of one delivery through intake. */
export type IntakeOutcome =
  | { disposition: InboundDisposition; complaintId: string }
  /** Its raw mail was deleted on purpose after it was filed: nothing left to do. */
  | ({ disposition: 'raw_mail_erased' } & RawMailErasure)
  | { disposition: 'quarantined'; quarantineId: string; reasons: QuarantineReason[] };

/** A mail held back from the complaints: kept with its reasons until a manager releases it. */
export interface QuarantinedMail {
  id: string;
  /** `erased`: the sender's personal data was erased (GDPR); the raw mail is gone, it cannot be released. */
  status: 'quarantined' | 'released' | 'erased';
  reasons: QuarantineReason[];
  delivery: InboundDelivery;
  /** What a manager needs to judge the mail without opening the raw MIME. */
  summary: {
    from?: string;
    to: string[];
    subject: string;
    messageId?: string;
    date?: string;
    sizeBytes: number;
    attachments: { filename?: string; contentType: string; size: number }[];
    /** The start of the text. */
    preview: string;
  };
  quarantinedAt: string;
  released?: { by: Actor; at: string };
  /**
   * Set when the held item is an SES event notification rather than received mail (it has no raw
   * mail and cannot be released): the notification as SNS delivered it, and the address it reports on.
   */
  sesEvent?: { notification: string; address?: string };
  /**
   * The release was handed to the intake function, which files the mail and records the outcome
   * (asynchronously: until then the record has no `outcome`).
   */
  handedOver?: { to: 'intake'; at: string };
  /** Where the released mail went. */
  outcome?: IntakeOutcome;
  erased?: { by: Actor; at: string };
}

/**
 * The address a held mail is filed under: its From, else the envelope sender ('' for bounces); for an
 * SES event, the address it reports on.
 */
export const quarantinedMailSender = (mail: Pick<QuarantinedMail, 'summary' | 'delivery' | 'sesEvent'>) =>
  mail.sesEvent ? (mail.sesEvent.address ?? '') : (mail.summary.from ?? mail.delivery.source);
