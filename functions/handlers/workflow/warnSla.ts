import type { Deps } from '../../application/deps';
import { loadComplaint } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { lambdaEntry } from '../../composition/lambda';
import { slaWarningDone, warnSla, workflowState } from '../../core/lifecycle';
import * as z from '../../core/schema';

const eventSchema = z.object({ complaintId: z.string().check(z.minLength(1)) });

/**
 * RecordSlaWarning: the agent's wait woke at the SLA warning mark. Records the warning once per clock
 * (the SlaWarning event comes from its audit entry) and hands back the state, whose next wait runs to
 * the deadline. A replay or a stale delivery finds the clock warned and changes nothing.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId } = eventSchema.parse(event);
  const now = deps.clock();
  const complaint = await loadComplaint(deps, complaintId);
  if (slaWarningDone(complaint, now)) return workflowState(complaint, now);
  // Throws ComplaintBusyError while a person's decision is in flight (the state machine retries).
  const result = warnSla(complaint, now);
  if (result.released) await deps.store.save(result.released.complaint, [result.released.audit]);
  await deps.store.save(result.complaint, [result.audit]);
  deps.logger.info('SLA warning recorded', {
    complaintId,
    target: result.audit.details?.target,
    dueAt: result.audit.details?.dueAt,
  });
  return workflowState(result.complaint, now);
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { store: complaintStore });
