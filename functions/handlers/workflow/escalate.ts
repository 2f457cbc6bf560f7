import { stepInputs } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { loadComplaint, notifyTeam } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import { escalate, escalationDone, workflowState } from '../../core/lifecycle';

const eventSchema = stepInputs.escalate;

const headlines = {
  sla_breach: 'SLA breached: escalated to your queue',
  agent_request: 'Escalated to your queue by an agent',
  risk_signal: 'Risk signals: escalated to your queue',
  approval_timeout: 'Approval overdue: a proposal now waits for you',
  follow_up_overdue: 'Follow-up call overdue: the call is now yours',
} as const;

/**
 * Escalation step: moves the complaint up, tells the team that now owns it, alerts the manager at the
 * top. A timeout escalation consumes the token of the wait that timed out and an agent's request their
 * pending decision, so a replay finds nothing to do and hands back the same state.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, cause } = eventSchema.parse(event);
  const now = deps.clock();
  const complaint = await loadComplaint(deps, complaintId);
  if (escalationDone(complaint, cause, now)) return workflowState(complaint, now);
  // Throws ComplaintBusyError while a person's decision is in flight; the state machine retries until
  // the API has released it or the core finds it abandoned and releases it itself.
  const result = escalate(complaint, cause, deps.settings.policy, now);
  if (result.released) await deps.store.save(result.released.complaint, [result.released.audit]);
  await deps.store.save(result.complaint, [result.audit]);
  const next = result.complaint;
  const reasons = next.investigation?.riskSignals.map((r) => `Risk: ${r.signal} (${r.evidence})`) ?? [];
  await notifyTeam(deps, result.notifyRole, next, headlines[cause], cause === 'risk_signal' ? reasons : []);
  if (result.alertManager && result.notifyRole !== 'manager') {
    await notifyTeam(deps, 'manager', next, 'SLA breached at the top tier', []);
  }
  deps.logger.info('complaint escalated', {
    complaintId,
    cause,
    fromTier: complaint.tier,
    toTier: next.tier,
  });
  return workflowState(next, now);
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  notifier: teamNotifier,
});
