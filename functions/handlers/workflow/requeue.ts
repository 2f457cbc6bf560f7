import { z } from 'zod';
import type { Decision, FollowUpOutcome } from '../../core/complaint';
import { pendingFor, requeue, roleOfTier, workflowState } from '../../core/lifecycle';
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

/** The decision each requeue consumes. */
const consumes: Record<keyof typeof headlines, [Decision['action'][], FollowUpOutcome['outcome'][]?]> = {
  customer_replied: [['customer_replied']],
  approval_rejected: [['reject']],
  unsatisfied: [['follow_up'], ['unsatisfied']],
};

/**
 * Back to an agent: customer answered, proposal rejected, or the customer is unsatisfied. Consumes the
 * decision that asked for it: a replay finds it gone and hands back the same state.
 */
export async function handler(event: unknown) {
  const { complaintId, reason } = eventSchema.parse(event);
  const services = getServices();
  const now = new Date();
  const complaint = await loadComplaint(services, complaintId);
  if (!pendingFor(complaint, ...consumes[reason])) return workflowState(complaint, now);
  const { complaint: next, audit } = requeue(complaint, reason, config().policy, now);
  await services.store.save(next, [audit]);
  const details =
    next.lastRejection && reason === 'approval_rejected' ? [`Reason: ${next.lastRejection.reason}`] : [];
  await notifyTeam(services, roleOfTier(next.tier), next, headlines[reason], details);
  logger.info('complaint back with the agent', { complaintId, reason, priority: next.priority });
  return workflowState(next, now);
}
