import { randomBytes } from 'node:crypto';
import type { ComplaintStore } from '../adapters/ports';
import { rawMailStoreFromEnv } from '../adapters/rawMailStore';
import { openComplaint } from '../core/intake';
import { parseInboundMail } from '../core/mail/inboundMail';
import { sesReceiptEventSchema } from '../core/mail/sesReceipt';
import { acknowledgementMail } from '../core/mail/templates';
import { complaintIdFor, referenceFor } from '../core/reference';
import { config, required } from '../shared/config';
import { mailCustomer } from '../shared/customerMail';
import { logger } from '../shared/logger';
import { getServices } from '../shared/services';

const rawMail = rawMailStoreFromEnv();

/** Finds a free reference: deterministic candidates per complaint, uniqueness by conditional write. */
async function reserveReference(store: ComplaintStore, complaintId: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const reference = referenceFor(complaintId, attempt);
    if (await store.reserveReference(reference, complaintId)) return reference;
  }
  throw new Error(`No free reference found for complaint ${complaintId}`);
}

/**
 * SES receipt rule Lambda action, invoked asynchronously after the S3 action stored the raw mail.
 * Every step is idempotent because SES and async Lambda deliver at least once: the complaint id derives
 * from the mail's Message-ID (or a hash of the raw mail), the acknowledgement is keyed by the complaint
 * and the execution is named after it.
 */
export async function handler(event: unknown): Promise<void> {
  const cfg = config();
  const services = getServices();
  const { store } = services;
  for (const record of sesReceiptEventSchema.parse(event).Records) {
    const { mail: sesMail } = record.ses;
    const rawMailKey = `${cfg.rawMailPrefix}${sesMail.messageId}`;
    const raw = await rawMail.get(required(cfg.rawMailBucket, 'RAW_MAIL_BUCKET'), rawMailKey);
    const mail = await parseInboundMail(raw);
    const complaintId = complaintIdFor(mail.dedupeKey);
    await store.claimInbound(mail.dedupeKey, complaintId);

    let complaint = await store.get(complaintId);
    if (!complaint) {
      const opened = openComplaint({
        id: complaintId,
        reference: await reserveReference(store, complaintId),
        threadToken: randomBytes(12).toString('base64url').toLowerCase(),
        mail,
        rawMailKey,
        receivedAt: new Date(sesMail.timestamp),
        supportAddress: cfg.supportAddress,
      });
      ({ complaint } = await store.create(opened.complaint, opened.entries));
    }

    const ackId = `${complaint.id}-ack`;
    const timeline = await store.timeline(complaint.id);
    if (!timeline.some((e) => e.id === ackId)) {
      await mailCustomer(services, complaint, acknowledgementMail(complaint), {
        purpose: 'acknowledgement',
        automatic: true,
        entryId: ackId,
        now: new Date(),
        supportAddress: cfg.supportAddress,
        mailDomain: cfg.mailDomain,
        ...(mail.messageId ? { inReplyTo: mail.messageId, references: mail.references } : {}),
      });
    }
    const executionArn = await services.workflow.start(complaint.id, { complaintId: complaint.id });
    logger.info('complaint received', {
      complaintId: complaint.id,
      reference: complaint.reference,
      executionArn,
    });
  }
}
