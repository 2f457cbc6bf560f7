import type { SendLease } from '../../adapters/ports';
import { mailCustomerOnce, sendLeaseOf } from '../../application/customerMail';
import type { Deps } from '../../application/deps';
import { loadWithTimeline } from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { mailLedger } from '../../composition/factories/mailLedger';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import { InvalidTransitionError } from '../../core/errors';
import { applyResolution, knownOf, pendingFor } from '../../core/lifecycle';
import { resolutionMail } from '../../core/mail/templates';
import * as z from '../../core/schema';
import { addBusinessDelay, secondsUntil } from '../../core/sla';

const eventSchema = z.object({ complaintId: z.string().check(z.minLength(1)) });

/** Send-once key of the mail of a resolution (also its timeline entry id), per decision applied. */
const resolutionMailId = (complaintId: string, decisionKey: string) =>
  `${complaintId}-resolution-${decisionKey}`;

/**
 * ApplyResolution step: applies the resolution the workflow received (from the agent, or approved by
 * a higher tier) after checking authority again (on the complaint's total: its timeline, read anyway,
 * tells it for a complaint resolved before the total was stored), emails it and schedules the
 * follow-up call.
 * Keyed by the decision: it consumes the pending resolve/approve decision and records its id, so a
 * replay finds the resolution applied and only makes sure its mail went out.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId } = eventSchema.parse(event);
  const policy = deps.settings.policy;
  const now = deps.clock();
  const loaded = await loadWithTimeline(deps, complaintId);
  let { complaint } = loaded;
  let leased: SendLease | undefined;
  if (pendingFor(complaint, ['resolve', 'approve'])) {
    const { complaint: next, audit } = applyResolution(complaint, policy, now, loaded.timeline);
    // The resolution mail's send lease is taken in the same write (keyed by the decision applied, so
    // it was never begun): one request fewer. A replay finds the resolution applied and the lease
    // taken, and goes the usual send-once way.
    const decisionId = next.resolution?.decisionId;
    leased = decisionId
      ? sendLeaseOf(resolutionMailId(complaintId, decisionId), now, deps.settings.sendLeaseSeconds)
      : undefined;
    await deps.store.save(next, [audit], {}, leased);
    complaint = next;
  }
  const { resolution, followUp } = complaint;
  if (
    !resolution ||
    !followUp ||
    (complaint.status !== 'resolved' && complaint.status !== 'awaiting_follow_up')
  ) {
    throw new InvalidTransitionError(`Complaint ${complaintId} is ${complaint.status}, not resolved`);
  }
  // One resolution mail per applied decision (a reopened complaint may be resolved again later).
  await mailCustomerOnce(
    deps,
    complaint,
    resolutionMail(complaint, resolution),
    'resolution',
    resolutionMailId(complaint.id, resolution.decisionId ?? `v${complaint.version}`),
    now,
    false,
    loaded.timeline,
    leased,
  );
  const followUpAt = new Date(followUp.scheduledFor);
  const callDue = addBusinessDelay(followUpAt, policy.followUp.callSlaSeconds, policy);
  deps.logger.info('resolution applied', { complaintId, type: resolution.type, followUpAt });
  return {
    complaintId,
    tier: complaint.tier,
    known: knownOf(complaint),
    followUpAt: followUpAt.toISOString(),
    // FollowUpCall is entered at followUpAt: its timeout counts from there.
    awaitSeconds: secondsUntil(callDue, followUpAt),
  };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  mailer: sesMailer,
  notifier: teamNotifier,
  ledger: mailLedger,
});
