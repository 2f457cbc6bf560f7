import { z } from 'zod';
import { failureRecorded, recordFailure, workflowState } from '../../core/lifecycle';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';
import { loadComplaint, notifyTeam } from '../../shared/workflowSupport';

/**
 * Each Catch puts the error output under the failed state's name (`$.failed.<State>`): the definition
 * gives every state its own ResultPath, as the error output carries no state name.
 */
const eventSchema = z.object({
  complaintId: z.string().min(1),
  failed: z
    .record(z.string(), z.object({ Error: z.string(), Cause: z.string().optional() }))
    .refine((failed) => Object.keys(failed).length > 0, 'names the failed state'),
});

/**
 * RecordFailure step: a step failed after its retries. The complaint is put in the manager's queue
 * (`needs_attention`) with the failed state, error and a short cause, the manager is alerted, and the
 * workflow waits for the manager (AwaitAttention), whose decision routes like an agent's. Nothing is
 * left silently in a failed execution. A replay finds the failure recorded and does not alert again.
 */
export async function handler(event: unknown) {
  const { complaintId, failed } = eventSchema.parse(event);
  const services = getServices();
  const now = new Date();
  const [state, output] = Object.entries(failed).at(-1) as [string, { Error: string; Cause?: string }];
  const failure = { state, error: output.Error, cause: output.Cause ?? '' };
  const complaint = await loadComplaint(services, complaintId);
  if (failureRecorded(complaint, failure, now)) return workflowState(complaint, now);
  const { complaint: next, audit } = recordFailure(complaint, failure, config().policy, now);
  await services.store.save(next, [audit]);
  await notifyTeam(services, 'manager', next, `Workflow step ${state} failed: the complaint needs you`, [
    `Error: ${failure.error}`,
    `Cause: ${next.failure?.cause ?? ''}`,
  ]);
  logger.error('workflow step failed for good', { complaintId, state, error: failure.error });
  return workflowState(next, now);
}
