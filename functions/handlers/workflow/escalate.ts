import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import { escalate, workflowState } from '../../core/lifecycle';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  cause: z.enum(['sla_breach', 'agent_request', 'risk_signal']),
});

/** Escalation step: tier + 1, re-queued with a fresh SLA target; the audit event records the cause. */
export async function handler(event: unknown) {
  const { complaintId, cause } = eventSchema.parse(event);
  const { store } = getServices();
  const now = new Date();
  const complaint = await store.get(complaintId);
  if (!complaint) throw new NotFoundError(`Complaint ${complaintId} not found`);
  // Throws ComplaintBusyError while an agent's decision is in flight; the state machine retries.
  const { complaint: next, audit } = escalate(complaint, cause, config().policy, now);
  await store.save(next, [audit]);
  logger.info('complaint escalated', { complaintId, cause, fromTier: complaint.tier, toTier: next.tier });
  return workflowState(next, now);
}
