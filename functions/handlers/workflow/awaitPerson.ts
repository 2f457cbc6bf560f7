import type { Deps } from '../../application/deps';
import { loadComplaint, notifyTeam } from '../../application/workflowSupport';
import { teamNotifier } from '../../composition/awsAdapters';
import { lambdaEntry } from '../../composition/lambda';
import { systemActor, waitingKinds } from '../../core/complaint';
import { ConflictError } from '../../core/errors';
import {
  awaitPerson,
  decisionStrandedBy,
  knownToken,
  releaseDecision,
  roleOfTier,
} from '../../core/lifecycle';
import * as z from '../../core/schema';

const eventSchema = z.object({
  complaintId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  waitingFor: z.enum(waitingKinds),
  awaitSeconds: z.number().check(z.int(), z.positive()),
});

/**
 * First half of every callback task: stores the task token on the complaint (one live token, written
 * with a version condition) so the API, intake or the survey link can complete it.
 *
 * Keyed by the token: Lambda may deliver this invocation twice, possibly after a person has already
 * answered the wait. A token that is live or was spent is a replay and changes nothing; only a new
 * token registers a wait, and only from the statuses the transition table allows for that wait.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, taskToken, waitingFor, awaitSeconds } = eventSchema.parse(event);
  for (let attempt = 0; ; attempt++) {
    const complaint = await loadComplaint(deps, complaintId);
    if (knownToken(complaint, taskToken)) return { complaintId };
    const now = deps.clock();
    // A decision accepted for a token this run no longer has: released on the timeline, decided again.
    const stranded = decisionStrandedBy(complaint, waitingFor);
    try {
      // Two changes, two writes: each save is conditional on the version before it.
      let current = complaint;
      if (stranded) {
        const released = releaseDecision(complaint, systemActor, now, 'wait_restarted');
        await deps.store.save(released.complaint, [released.audit]);
        current = released.complaint;
      }
      const { complaint: next, audit } = awaitPerson(
        current,
        taskToken,
        waitingFor,
        awaitSeconds,
        deps.settings.policy,
        now,
      );
      await deps.store.save(next, [audit]);
      if (stranded) {
        deps.logger.warn('decision released: its wait was entered again', {
          complaintId,
          decision: stranded.action,
        });
        await notifyTeam(deps, roleOfTier(next.tier), next, 'Your decision did not reach the workflow', [
          `Decision: ${stranded.action}. The complaint waits for it again: please decide once more.`,
        ]);
      }
      deps.logger.info('waiting for a person', {
        complaintId,
        waitingFor,
        tier: next.tier,
        dueAt: next.slaDueAt,
      });
      return { complaintId };
    } catch (e) {
      // Someone wrote in between (e.g. a customer message was filed): re-read and register again.
      if (!(e instanceof ConflictError) || attempt >= 4) throw e;
    }
  }
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { notifier: teamNotifier });
