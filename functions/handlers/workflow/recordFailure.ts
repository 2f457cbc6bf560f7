import type { Deps } from '../../application/deps';
import { loadComplaint, notifyTeam } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import { failureRecorded, recordFailure, workflowState } from '../../core/lifecycle';
import * as z from '../../core/schema';

/**
 * Each Catch puts the error output under the failed state's name (`$.failed.<State>`): the definition
 * gives every state its own ResultPath, as the error output carries no state name.
 */
const eventSchema = z.object({
  complaintId: z.string().check(z.minLength(1)),
  failed: z
    .record(z.string(), z.object({ Error: z.string(), Cause: z.optional(z.string()) }))
    .check(z.refine((failed) => Object.keys(failed).length > 0, 'names the failed state')),
});

/**
 * RecordFailure step: a step failed after its retries. The complaint is put in the manager's queue
 * (`needs_attention`) with the failed state, error and a short cause, the manager is alerted, and the
 * workflow waits for the manager (AwaitAttention), whose decision routes like an agent's. Nothing is
 * left silently in a failed execution. A replay finds the failure recorded and does not alert again.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, failed } = eventSchema.parse(event);
  const now = deps.clock();
  const [state, output] = Object.entries(failed).at(-1) as [string, { Error: string; Cause?: string }];
  const failure = { state, error: output.Error, cause: output.Cause ?? '' };
  const complaint = await loadComplaint(deps, complaintId);
  if (failureRecorded(complaint, failure, now)) return workflowState(complaint, now);
  const { complaint: next, audit } = recordFailure(complaint, failure, deps.settings.policy, now);
  await deps.store.save(next, [audit]);
  await notifyTeam(deps, 'manager', next, `Workflow step ${state} failed: the complaint needs you`, [
    `Error: ${failure.error}`,
    `Cause: ${next.failure?.cause ?? ''}`,
  ]);
  deps.logger.error('workflow step failed for good', { complaintId, state, error: failure.error });
  return workflowState(next, now);
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  notifier: teamNotifier,
});
