import { stepInputs, taskOutputSchema } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import {
  loadComplaint,
  refuseAnswerAsWaitTimedOut,
  type TimedOutWait,
} from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import type { AcceptedDecision, Complaint } from '../../core/complaint';
import { type CloseReason, close, closesFromKnown, pendingFor, waitTimedOut } from '../../core/lifecycle';
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

/** The wait a timeout close follows (see `refuseAnswerAsWaitTimedOut`). */
const timedOutWait: Partial<Record<CloseReason, TimedOutWait>> = {
  abandoned: 'awaiting_customer',
  no_response: 'awaiting_follow_up',
};

/** An abandoned satisfied survey answer closes as satisfied, what it leads to anyway. */
const satisfiedSurvey = (answer: AcceptedDecision) =>
  answer.action === 'follow_up' && answer.outcome === 'satisfied';

/**
 * Closes on what the decision's task output says of the complaint, without reading it: written only if
 * the stored version is still the one the accepting write left (and the status `deciding`). Not saved
 * when it is not (a customer mail came in between, or this close landed already and this is its
 * replay: its write bumped the version), with the stored complaint when the failed condition returned it.
 */
async function closeFromKnown(
  deps: Deps,
  complaintId: string,
  reason: CloseReason,
  decision: unknown,
  now: Date,
): Promise<{ closed?: Complaint; current?: Complaint | undefined }> {
  // A hint only: an output this version cannot read (from an older API) is ignored.
  const output = taskOutputSchema.safeParse(decision).data;
  const before = output ? closesFromKnown(complaintId, reason, output) : undefined;
  if (!before || !due(before, reason, now)) return {};
  const { complaint: next, audit } = close(before, reason, now);
  const saved = await deps.store.saveChange(before, next, [audit]);
  return saved.saved ? { closed: next } : { current: saved.current };
}

/**
 * Close step: the complaint leaves every queue; a customer who never answered is told first, so that
 * closing is the step's last write (a failure before it leaves the complaint open for RecordFailure).
 *
 * A satisfied follow-up call closes from what its decision's task output knows (one conditional write,
 * no read); anything else, or a failed condition, goes the usual way from the stored complaint: a
 * replay finds it closed and does nothing.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, reason, decision } = eventSchema.parse(event);
  const now = deps.clock();
  const fromKnown = await closeFromKnown(deps, complaintId, reason, decision, now);
  if (fromKnown.closed) {
    deps.logger.info('complaint closed', { complaintId, reason: fromKnown.closed.closure?.reason });
    return { complaintId, status: fromKnown.closed.status, reason: fromKnown.closed.closure?.reason };
  }
  let complaint = fromKnown.current ?? (await loadComplaint(deps, complaintId));
  // This close is the execution's last step: an answer that came in on the wait it ends is never left
  // behind with the complaint waiting for no execution.
  const wait = timedOutWait[reason];
  const stranded =
    wait && (await refuseAnswerAsWaitTimedOut(complaint, wait, now, { settles: satisfiedSurvey }));
  if (stranded) {
    const { complaint: next, audit } = close(complaint, 'satisfied', now);
    await deps.store.save(next, [audit]);
    complaint = next;
  } else if (due(complaint, reason, now)) {
    if (reason === 'abandoned') {
      // The one close that mails (a customer who never answered): its mail code is imported here, on
      // the first such close, from a chunk of its own outside the step's cold start.
      const { mailCustomerOnce } = await import('../../application/customerMail');
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
  store: complaintStore,
  mailer: sesMailer,
  notifier: teamNotifier,
});
