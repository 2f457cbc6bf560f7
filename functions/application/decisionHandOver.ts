import { randomUUID } from 'node:crypto';
import { taskOutputOf } from '../../workflows/contract';
import type { SaveCondition } from '../adapters/ports';
import type { Actor, Complaint, Decision, WaitingFor } from '../core/complaint';
import { assertWaitingFor } from '../core/decisions';
import { ConflictError } from '../core/errors';
import { acceptDecision, knownOf, releaseDecision } from '../core/lifecycle';
import type { Deps } from './deps';

/**
 * Hands a person's decision (agent, approver, customer) to the waiting workflow task. The decision
 * consumes the live task token with a conditional write on version and token — of two people acting at
 * once exactly one wins — then completes the task. If the task had already timed out (the complaint was
 * escalated meanwhile) the claim is released and a ConflictError (409) says so.
 *
 * `decisionId` is the decision's idempotency key (generated when the caller has none). A process that
 * dies between the accepting write and SendTaskSuccess leaves the complaint `deciding`; delivering the
 * same decision again (same id) completes the hand-over instead of being refused. Should nobody
 * deliver it again, the workflow's next step meets the stale decision and resolves it (see
 * `decisionStrandedBy` and `decisionAbandoned` in the lifecycle core).
 *
 * Step Functions answers `TaskTimedOut` both to a callback for a task whose timeout fired and to one for
 * a task completed already, which the same decision delivered by another request at once (a retry, a
 * double click) may have done. So a refused callback asks the execution whether the decision reached
 * it: if it did, the decision is accepted (202) whichever request delivered it; if not, it never will,
 * and it is released (409).
 */
export async function handOver(
  services: Pick<Deps, 'store' | 'workflow'>,
  actor: Actor,
  now: () => Date,
  complaint: Complaint,
  waitingFor: WaitingFor | readonly WaitingFor[],
  decision: Decision,
  decisionId: string = randomUUID(),
  /** Told of the accepting write as soon as it committed (before the task is completed). */
  onAccepted?: (accepted: Complaint) => void,
  /** Another complaint the decision was checked against, which must still be as read (a merge's target). */
  unchanged?: SaveCondition['unchanged'],
): Promise<Complaint> {
  if (complaint.status === 'deciding' && complaint.pendingDecision?.decisionId === decisionId) {
    return deliverAgain(services, actor, now, complaint);
  }
  const token = assertWaitingFor(complaint, waitingFor);
  const accepted = acceptDecision(complaint, { ...decision, decisionId }, actor, now());
  await services.store.save(accepted.complaint, [accepted.audit], {
    taskToken: token,
    ...(unchanged ? { unchanged } : {}),
  });
  onAccepted?.(accepted.complaint);
  const pending = accepted.complaint.pendingDecision ?? { ...decision, decisionId };
  await deliver(services, actor, now, accepted.complaint, token, () =>
    taskOutputOf(pending, { known: knownOf(accepted.complaint), actor }),
  );
  return accepted.complaint;
}

/**
 * The same decision again, already accepted (the complaint is `deciding` with it): completes the task
 * with the token it consumed (the newest spent one). A task that is no longer open either received it
 * (from the first hand-over, or a twin of this request) or timed out: the first is accepted as it
 * stands, the second released with a 409, as the first hand-over would have.
 */
export async function deliverAgain(
  services: Pick<Deps, 'store' | 'workflow'>,
  actor: Actor,
  now: () => Date,
  complaint: Complaint,
): Promise<Complaint> {
  const pending = complaint.pendingDecision;
  const token = complaint.spentTokens?.at(-1);
  if (complaint.status !== 'deciding' || !pending || !token) return complaint;
  await deliver(services, actor, now, complaint, token, () => taskOutputOf(pending));
  return complaint;
}

/**
 * SendTaskSuccess of the decision the complaint is `deciding` with. Refused (the task is over): accepted
 * all the same when the execution received it, else released, and the refusal passed on as a 409.
 */
async function deliver(
  services: Pick<Deps, 'store' | 'workflow'>,
  actor: Actor,
  now: () => Date,
  deciding: Complaint,
  token: string,
  output: () => Record<string, unknown>,
): Promise<void> {
  const decisionId = deciding.pendingDecision?.decisionId;
  try {
    await services.workflow.succeed(token, output());
    return;
  } catch (e) {
    if (!(e instanceof ConflictError) || !decisionId) throw e;
  }
  const since = new Date(deciding.decidingSince ?? deciding.updatedAt);
  if (await services.workflow.received(deciding.executionName ?? deciding.id, decisionId, since)) return;
  const released = releaseDecision(deciding, actor, now());
  await services.store.save(released.complaint, [released.audit]);
  throw new ConflictError('The complaint moved on (e.g. it was escalated) before the decision reached it', {
    currentVersion: released.complaint.version,
    complaintStatus: released.complaint.status,
  });
}
