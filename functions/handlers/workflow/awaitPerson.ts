import { type KnownComplaint, knownComplaintSchema } from '../../../workflows/contract';
import type { Deps } from '../../application/deps';
import { loadComplaint, notifyTeam } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import {
  type Complaint,
  systemActor,
  type TransitionResult,
  type WaitingFor,
  waitingKinds,
} from '../../core/complaint';
import { ConflictError, InvalidTransitionError } from '../../core/errors';
import {
  awaitPerson,
  complaintFromKnown,
  decisionStrandedBy,
  knownToken,
  registersFromKnown,
  releaseDecision,
  roleOfTier,
  staleWaitEntry,
  waitEntryOf,
} from '../../core/lifecycle';
import * as z from '../../core/schema';

const eventSchema = z.object({
  complaintId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  waitingFor: z.enum(waitingKinds),
  awaitSeconds: z.number().check(z.int(), z.positive()),
  /** When the state machine entered the wait (`$$.State.EnteredTime`) and the attempt (`RetryCount`). */
  enteredAt: z.optional(z.string().check(z.minLength(1))),
  retryCount: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** The state the wait was entered with: what it knows of the complaint, when the step before said. */
  state: z.optional(z.object({ known: z.optional(z.unknown()) })),
});

/**
 * Registers the wait on what the state knows of the complaint, without reading it: written only if the
 * stored version is still the one the step before left. Not saved when it is not (a claim, a bounce or
 * a customer mail came in between; or this registration landed already and this is its replay), with
 * the stored complaint when the failed condition returned it.
 */
async function registerFromKnown(
  deps: Deps,
  complaintId: string,
  known: KnownComplaint,
  wait: { taskToken: string; waitingFor: WaitingFor; awaitSeconds: number; entry: string | undefined },
): Promise<{ saved: boolean; current?: Complaint | undefined }> {
  if (!registersFromKnown(known, wait.waitingFor)) return { saved: false };
  const before = complaintFromKnown(complaintId, known);
  let registered: TransitionResult;
  try {
    registered = awaitPerson(
      before,
      wait.taskToken,
      wait.waitingFor,
      wait.awaitSeconds,
      deps.settings.policy,
      deps.clock(),
      wait.entry,
    );
  } catch (e) {
    // Not from the status the state knows: the stored complaint decides (it may have moved on).
    if (e instanceof InvalidTransitionError) return { saved: false };
    throw e;
  }
  return deps.store.saveChange(before, registered.complaint, [registered.audit]);
}

/**
 * First half of every callback task: stores the task token on the complaint (one live token, written
 * with a version condition) so the API, intake or the survey link can complete it.
 *
 * Keyed by the token: Lambda may deliver this invocation twice, possibly after a person has already
 * answered the wait. A token that is live or was spent is a replay and changes nothing; only a new
 * token registers a wait, and only from the statuses the transition table allows for that wait.
 *
 * When the step before handed on what it knew of the complaint (`state.known`), the wait is first
 * registered on that, with no read: conditional on the version that step left, which a replay of this
 * registration (its write bumped the version) or any write in between fails. Then the usual way.
 *
 * Lambda may also deliver it late: after its task timed out and the state machine entered the wait
 * again, whose registration may have landed first. Each registration names the entry of the state it
 * comes from (when the state machine entered it, and the attempt); one older than the wait the
 * complaint registered last changes nothing, so a dead token never replaces the live one, nor releases a
 * decision accepted on it.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, taskToken, waitingFor, awaitSeconds, state, enteredAt, retryCount } =
    eventSchema.parse(event);
  const entry = enteredAt === undefined ? undefined : waitEntryOf(enteredAt, retryCount);
  // A hint only: one this version cannot read (say, from an execution started before a deploy) is ignored.
  const known = knownComplaintSchema.safeParse(state?.known).data;
  const fromKnown = known
    ? await registerFromKnown(deps, complaintId, known, { taskToken, waitingFor, awaitSeconds, entry })
    : undefined;
  if (known && fromKnown?.saved) {
    deps.logger.info('waiting for a person', { complaintId, waitingFor, tier: known.tier });
    return { complaintId };
  }
  for (let attempt = 0; ; attempt++) {
    const complaint =
      (attempt === 0 ? fromKnown?.current : undefined) ?? (await loadComplaint(deps, complaintId));
    if (knownToken(complaint, taskToken)) return { complaintId };
    if (staleWaitEntry(complaint, entry)) {
      deps.logger.warn('wait registration from an earlier entry of its state ignored', {
        complaintId,
        waitingFor,
        entry,
        registered: complaint.waitEntry,
      });
      return { complaintId };
    }
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
        entry,
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

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  notifier: teamNotifier,
});
