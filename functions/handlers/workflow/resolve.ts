import { z } from 'zod';
import { decisionSchema } from '../../api/schemas';
import { NotFoundError } from '../../core/errors';
import { applyResolution } from '../../core/lifecycle';
import { resolutionMail } from '../../core/mail/templates';
import { config } from '../../shared/config';
import { mailCustomer } from '../../shared/customerMail';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';

const eventSchema = z.object({ complaintId: z.string().min(1), decision: decisionSchema });

/** ApplyResolution step: records the resolution and emails it to the customer (idempotent on retry). */
export async function handler(event: unknown) {
  const { complaintId, decision } = eventSchema.parse(event);
  const services = getServices();
  const cfg = config();
  const now = new Date();
  let complaint = await services.store.get(complaintId);
  if (!complaint) throw new NotFoundError(`Complaint ${complaintId} not found`);
  if (complaint.status === 'deciding') {
    const { complaint: next, audit } = applyResolution(complaint, decision, now);
    await services.store.save(next, [audit]);
    complaint = next;
  }
  const entryId = `${complaint.id}-resolution-v${complaint.version}`;
  const timeline = await services.store.timeline(complaint.id);
  // A retry after the mail went out must not mail the customer twice.
  if (!timeline.some((e) => e.id === entryId) && complaint.resolution) {
    const firstMessage = timeline.find((e) => e.kind === 'message' && e.direction === 'inbound');
    await mailCustomer(services, complaint, resolutionMail(complaint, complaint.resolution), {
      purpose: 'resolution',
      automatic: false,
      entryId,
      now,
      supportAddress: cfg.supportAddress,
      mailDomain: cfg.mailDomain,
      ...(firstMessage?.kind === 'message' && firstMessage.messageId
        ? { inReplyTo: firstMessage.messageId }
        : {}),
    });
  }
  logger.info('resolution applied', { complaintId, type: complaint.resolution?.type });
  return { complaintId, status: complaint.status };
}
