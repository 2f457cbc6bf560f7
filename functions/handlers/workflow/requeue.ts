import { z } from 'zod';
import { requeue, workflowState } from '../../core/lifecycle';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';
import { loadComplaint, notifyTeam } from '../../shared/workflowSupport';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  reason: z.enum(['customer_replied', 'approval_rejected', 'unsatisfied']),
});

const headlines = {
  customer_replied: 'The customer answered your question',
  approval_rejected: 'Your proposal was rejected',
  unsatisfied: 'Reopened: the customer is not satisfied',
} as const;

/** Back to an agent: customer answered, proposal rejected, or the customer is unsatisfied. */
export async function handler(event: unknown) {
  const { complaintId, reason } = eventSchema.parse(event);
  const services = getServices();
  const now = new Date();
  const complaint = await loadComplaint(services, complaintId);
  // Retried after the save: the complaint already waits for the agent again.
  if (complaint.status === 'awaiting_agent') return workflowState(complaint, now);
  const { complaint: next, audit } = requeue(complaint, reason, config().policy, now);
  await services.store.save(next, [audit]);
  const details =
    next.lastRejection && reason === 'approval_rejected' ? [`Reason: ${next.lastRejection.reason}`] : [];
  await notifyTeam(
    services,
    next.tier === 1 ? 'tier1' : next.tier === 2 ? 'tier2' : 'tier3',
    next,
    headlines[reason],
    details,
  );
  logger.info('complaint back with the agent', { complaintId, reason, priority: next.priority });
  return workflowState(next, now);
}
