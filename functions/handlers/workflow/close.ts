import { z } from 'zod';
import { close } from '../../core/lifecycle';
import { abandonedMail } from '../../core/mail/templates';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';
import { loadComplaint, mailCustomerOnce } from '../../shared/workflowSupport';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  reason: z.enum(['satisfied', 'abandoned', 'no_response', 'agent']),
});

/** Close step: the complaint leaves every queue; a customer who never answered is told. */
export async function handler(event: unknown) {
  const { complaintId, reason } = eventSchema.parse(event);
  const services = getServices();
  const now = new Date();
  let complaint = await loadComplaint(services, complaintId);
  if (complaint.status !== 'closed') {
    const { complaint: next, audit } = close(complaint, reason, now);
    await services.store.save(next, [audit]);
    complaint = next;
  }
  if (reason === 'abandoned') {
    await mailCustomerOnce(
      services,
      complaint,
      abandonedMail(complaint),
      'closure',
      `${complaint.id}-closure-v${complaint.version}`,
      now,
    );
  }
  logger.info('complaint closed', { complaintId, reason: complaint.closure?.reason });
  return { complaintId, status: complaint.status, reason: complaint.closure?.reason };
}
