import type { Actor, Complaint, Decision, WaitingFor } from '../core/complaint';
import { assertWaitingFor } from '../core/decisions';
import { ConflictError } from '../core/errors';
import { acceptDecision, releaseDecision } from '../core/lifecycle';
import type { Services } from './services';

/**
 * Hands a person's decision (agent, approver, customer) to the waiting workflow task. The decision
 * consumes the live task token with a conditional write on version and token — of two people acting at
 * once exactly one wins — then completes the task. If the task had already timed out (`TaskTimedOut`:
 * the complaint was escalated meanwhile) the claim is released and a ConflictError (409) says so.
 */
export async function handOver(
  services: Pick<Services, 'store' | 'workflow'>,
  actor: Actor,
  now: () => Date,
  complaint: Complaint,
  waitingFor: WaitingFor | readonly WaitingFor[],
  decision: Decision,
): Promise<Complaint> {
  const token = assertWaitingFor(complaint, waitingFor);
  const accepted = acceptDecision(complaint, decision, actor, now());
  await services.store.save(accepted.complaint, [accepted.audit], { taskToken: token });
  try {
    await services.workflow.succeed(token, decision);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    const released = releaseDecision(accepted.complaint, actor, now());
    await services.store.save(released.complaint, [released.audit]);
    throw new ConflictError('The complaint moved on (e.g. it was escalated) before the decision reached it', {
      currentVersion: released.complaint.version,
      complaintStatus: released.complaint.status,
    });
  }
  return accepted.complaint;
}
