import { stepInputs } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { investigateOnce } from '../../application/investigation';
import { loadWithTimeline } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';

/**
 * Investigate step, on the paths where the first step did not investigate: its acknowledgement failed
 * for good, or it handed the investigation back. The customer's history, triage, risk signals,
 * duplicates and the recurring-issue count; then the SLA clock starts.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId } = stepInputs.investigate.parse(event);
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  return investigateOnce(deps, complaint, timeline, deps.clock());
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  notifier: teamNotifier,
});
