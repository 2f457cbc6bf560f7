import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import { investigate, workflowState } from '../../core/lifecycle';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';

const eventSchema = z.object({ complaintId: z.string().min(1) });

/** Investigate step: starts the SLA clock and hands back the workflow state for AwaitAgent. */
export async function handler(event: unknown) {
  const { complaintId } = eventSchema.parse(event);
  const { store } = getServices();
  const now = new Date();
  const complaint = await store.get(complaintId);
  if (!complaint) throw new NotFoundError(`Complaint ${complaintId} not found`);
  // A retried step finds the work done: return the same state instead of failing the transition.
  if (complaint.status !== 'received') return workflowState(complaint, now);
  const { complaint: next, audit } = investigate(complaint, config().policy, now);
  await store.save(next, [audit]);
  logger.info('complaint investigated', { complaintId, priority: next.priority, slaDueAt: next.slaDueAt });
  return workflowState(next, now);
}
