import { stepInputs, taskOutputSchema } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { loadComplaint } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import type { Complaint } from '../../core/complaint';
import { ComplaintBusyError, InvalidTransitionError } from '../../core/errors';
import {
  type CloseReason,
  close,
  closesFromKnown,
  decisionAbandoned,
  pendingFor,
  waitTimedOut,
} from '../../core/lifecycle';
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

/** The status the wait a timeout close follows keeps the complaint in. */
const timedOutWaitStatus: Partial<Record<CloseReason, Complaint['status']>> = {
  abandoned: 'awaiting_customer',
  no_response: 'awaiting_follow_up',
};

/**
 * What a timeout close does when an answer came in on the wait that timed out: the customer's reply
 * (CloseAbandoned) or survey answer (CloseNoResponse) was accepted, but its hand-over died before
 * SendTaskSuccess (the complaint is still `deciding` with it) or came too late (TaskTimedOut: it was
 * released, and the complaint waits with no live token). This close is the execution's last step: were
 * it to do nothing, no execution would ever move the complaint again. An answer still being handed
 * over is waited out (the step retries ComplaintBusyError); an abandoned satisfied survey answer closes
 * as satisfied, what it leads to anyway; any other answer fails the step, so that RecordFailure puts the
 * complaint, with the answer, in the manager's queue (it would have resumed or reopened the complaint,
 * which a close cannot do). Undefined when no answer came in: the close is due, or a replay.
 */
function answeredAsItTimedOut(c: Complaint, reason: CloseReason, now: Date): CloseReason | undefined {
  const waiting = timedOutWaitStatus[reason];
  if (!waiting) return undefined;
  const answer = c.status === 'deciding' && c.decidingFrom === waiting ? c.pendingDecision : undefined;
  if (answer) {
    if (!decisionAbandoned(c, now)) {
      throw new ComplaintBusyError('An answer is being handed over', { complaintId: c.id });
    }
    if (answer.action === 'follow_up' && answer.outcome === 'satisfied') return 'satisfied';
    throw new InvalidTransitionError('An answer accepted as the wait timed out never reached the workflow', {
      complaintId: c.id,
      decision: answer.action,
      decisionId: answer.decisionId,
    });
  }
  if (c.status === waiting && !c.taskToken) {
    throw new InvalidTransitionError('An answer that came in as the wait timed out was released', {
      complaintId: c.id,
    });
  }
  return undefined;
}

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
  const stranded = answeredAsItTimedOut(complaint, reason, now);
  if (stranded) {
    const { complaint: next, audit } = close(complaint, stranded, now);
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
