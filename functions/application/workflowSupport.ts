import type { AcceptedDecision, Complaint, TimelineEntry } from '../core/complaint';
import { ComplaintBusyError, InvalidTransitionError, NotFoundError } from '../core/errors';
import { decisionAbandoned } from '../core/lifecycle';
import { teamNotification } from '../core/mail/templates';
import type { AgentRole } from '../core/policy';
import type { Deps } from './deps';

export async function loadComplaint(deps: Pick<Deps, 'store'>, id: string): Promise<Complaint> {
  const complaint = await deps.store.get(id);
  if (!complaint) throw new NotFoundError(`Complaint ${id} not found`);
  return complaint;
}

/** The complaint and its timeline, in one read. */
export async function loadWithTimeline(
  deps: Pick<Deps, 'store'>,
  id: string,
): Promise<{ complaint: Complaint; timeline: TimelineEntry[] }> {
  const found = await deps.store.withTimeline(id);
  if (!found) throw new NotFoundError(`Complaint ${id} not found`);
  return found;
}

/** The waits whose timeout a step handles (RemindCustomer, CloseAbandoned, CloseNoResponse). */
export type TimedOutWait = 'awaiting_customer' | 'awaiting_follow_up';

const answerOn: Record<TimedOutWait, string> = {
  awaiting_customer: 'customer reply',
  awaiting_follow_up: 'survey answer',
};

/**
 * What a step handling the timeout of the wait `waiting` does when an answer came in on that wait (the
 * customer's reply, the survey answer): intake or the API accepted it, but its hand-over is unfinished
 * (the complaint is still `deciding` with it) or came too late (TaskTimedOut: it was released, and the
 * complaint waits with no live token). The step must not go on as if the wait went unanswered: a
 * reminder would ask for an answer the customer gave, a close would end the complaint after it, and no
 * execution would ever move the complaint again. An answer still being handed over is waited out
 * (ComplaintBusyError: the step retries); a stranded one that `settles` accepts is returned for the step
 * to act on (a close's abandoned satisfied survey answer closes as satisfied, what it leads to anyway);
 * any other stranded or released answer fails the step (InvalidTransitionError), so that RecordFailure
 * puts the complaint, with the answer, in the manager's queue (the step cannot resume or reopen it).
 * Undefined when no answer came in.
 *
 * `released`: whether a complaint waiting with no live token was left so by the answer's release; asked
 * by a step that spends the token itself (the reminder), whose replay finds the complaint so too.
 * Without it, no live token is the release.
 */
export async function refuseAnswerAsWaitTimedOut(
  c: Complaint,
  waiting: TimedOutWait,
  now: Date,
  options: { settles?: (answer: AcceptedDecision) => boolean; released?: () => Promise<boolean> } = {},
): Promise<AcceptedDecision | undefined> {
  const what = answerOn[waiting];
  const answer = c.status === 'deciding' && c.decidingFrom === waiting ? c.pendingDecision : undefined;
  if (answer) {
    if (!decisionAbandoned(c, now)) {
      throw new ComplaintBusyError(`A ${what} is being handed over`, { complaintId: c.id });
    }
    if (options.settles?.(answer)) return answer;
    throw new InvalidTransitionError(`A ${what} accepted as the wait timed out never reached the workflow`, {
      complaintId: c.id,
      decision: answer.action,
      decisionId: answer.decisionId,
    });
  }
  if (c.status === waiting && !c.taskToken && (await (options.released?.() ?? true))) {
    throw new InvalidTransitionError(`A ${what} that came in as the wait timed out was released`, {
      complaintId: c.id,
    });
  }
  return undefined;
}

/**
 * Notifies a team. Best effort: the state change it reports is already saved, and failing the workflow
 * step over a notification would be worse than a missing one (the complaint is in the team's queue).
 */
export async function notifyTeam(
  deps: Pick<Deps, 'notifier' | 'logger'>,
  role: AgentRole,
  complaint: Complaint,
  headline: string,
  details: string[] = [],
): Promise<void> {
  const { subject, text } = teamNotification(complaint, headline, details);
  try {
    await deps.notifier.notify(role, subject, text);
  } catch (error) {
    deps.logger.error('team notification failed', { complaintId: complaint.id, role, error: error as Error });
  }
}
