import { stepInputs } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { loadComplaint, mailCustomerOnce } from '../../application/workflowSupport';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import type { Complaint } from '../../core/complaint';
import { type CloseReason, close, pendingFor, waitTimedOut } from '../../core/lifecycle';
import { abandonedMail } from '../../core/mail/templates';

const eventSchema = stepInputs.close;

/**
 * Whether this close is still due: a person's close consumes their pending decision, a timeout's the
 * live wait it ends. A replay (already closed) or a stale delivery (the complaint moved on) is not.
 */
function due(c: Complaint, reason: CloseReason, now: Date): boolean {
  switch (reason) {
    case 'agent':
      return pendingFor(c, ['close']) !== undefined;
    case 'satisfied':
      return pendingFor(c, ['follow_up'], ['satisfied']) !== undefined;
    case 'abandoned':
      return c.status === 'awaiting_customer' && waitTimedOut(c, 'customer', now);
    case 'no_response':
      return c.status === 'awaiting_follow_up' && waitTimedOut(c, 'survey', now);
  }
}

/**
 * Close step: the complaint leaves every queue; a customer who never answered is told first, so that
 * closing is the step's last write (a failure before it leaves the complaint open for RecordFailure).
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, reason } = eventSchema.parse(event);
  const now = deps.clock();
  let complaint = await loadComplaint(deps, complaintId);
  if (due(complaint, reason, now)) {
    if (reason === 'abandoned') {
      await mailCustomerOnce(
        deps,
        complaint,
        abandonedMail(complaint),
        'closure',
        `${complaint.id}-closure-v${complaint.version}`,
        now,
      );
    }
    const { complaint: next, audit } = close(complaint, reason, now);
    await deps.store.save(next, [audit]);
    complaint = next;
  }
  deps.logger.info('complaint closed', { complaintId, reason: complaint.closure?.reason });
  return { complaintId, status: complaint.status, reason: complaint.closure?.reason };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  mailer: sesMailer,
  notifier: teamNotifier,
});
