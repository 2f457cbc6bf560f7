import { stepInputs } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { loadComplaint, notifyTeam } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import type { Decision, FollowUpOutcome } from '../../core/complaint';
import { pendingFor, requeue, roleOfTier, workflowState } from '../../core/lifecycle';

const eventSchema = stepInputs.requeue;

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
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, reason } = eventSchema.parse(event);
  const now = deps.clock();
  const complaint = await loadComplaint(deps, complaintId);
  if (!pendingFor(complaint, ...consumes[reason])) return workflowState(complaint, now);
  const { complaint: next, audit } = requeue(complaint, reason, deps.settings.policy, now);
  await deps.store.save(next, [audit]);
  const details =
    next.lastRejection && reason === 'approval_rejected' ? [`Reason: ${next.lastRejection.reason}`] : [];
  await notifyTeam(deps, roleOfTier(next.tier), next, headlines[reason], details);
  deps.logger.info('complaint back with the agent', { complaintId, reason, priority: next.priority });
  return workflowState(next, now);
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  notifier: teamNotifier,
});
