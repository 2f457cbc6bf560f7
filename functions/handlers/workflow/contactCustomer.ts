import { stepInputs } from '../../../workflows/contract';
import { mailCustomerOnce } from '../../application/customerMail';
import type { Deps } from '../../application/deps';
import { required } from '../../application/settings';
import {
  loadComplaint,
  loadWithTimeline,
  refuseAnswerAsWaitTimedOut,
} from '../../application/workflowSupport';
import { complaintStore } from '../../composition/factories/complaintStore';
import { mailLedger } from '../../composition/factories/mailLedger';
import { secretSigningKey } from '../../composition/factories/secretSigningKey';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';
import type { Complaint } from '../../core/complaint';
import {
  knownOf,
  pendingFor,
  recordUnreachable,
  remindCustomer,
  sendSurvey,
  surveyExpiry,
  surveySent,
  waitTimedOut,
  workflowState,
} from '../../core/lifecycle';
import { infoRequestMail, reminderMail, surveyMail } from '../../core/mail/templates';
import { addBusinessDelay, secondsUntil } from '../../core/sla';

const eventSchema = stepInputs.contactCustomer;

/** The question of the open request for information, for the reminder. */
async function openQuestion(deps: Deps, c: Complaint): Promise<string | undefined> {
  const timeline = await deps.store.timeline(c.id);
  const asked = timeline.filter((e) => e.kind === 'message' && e.purpose === 'info_request').pop();
  return asked?.kind === 'message' ? asked.text : undefined;
}

/** The version the newest `action` audit entry recorded: what a replay of that step produced. */
async function versionOfLast(deps: Deps, c: Complaint, action: string): Promise<number> {
  const timeline = await deps.store.timeline(c.id);
  const last = timeline.filter((e) => e.kind === 'audit' && e.action === action).pop();
  return last?.kind === 'audit' ? last.version : c.version;
}

/**
 * Whether the complaint waits with no live token because the customer's reply was released (TaskTimedOut),
 * not after this step's own change (a replay: the token spent by `remindCustomer`, no release at the
 * current version): the change that left the complaint as it is (its version) was the release.
 */
async function releasedAtVersion(deps: Deps, c: Complaint): Promise<boolean> {
  const timeline = await deps.store.timeline(c.id);
  return timeline.some(
    (e) => e.kind === 'audit' && e.action === 'releaseDecision' && e.version === c.version,
  );
}

/**
 * The agent's question (AskCustomer, the step after a request for information is accepted). The API that
 * accepted it does not mail it: a request that died after its hand-over would have left the workflow
 * waiting for the answer to a question nobody sent. The question is the accepted decision's (the
 * complaint is `deciding` with it until AwaitCustomer registers the wait), mailed once under the
 * version that accepted it (its `acceptDecision` entry), which nothing written since moves. A complaint
 * no longer deciding on a question (none is known of: the wait registers as it would) has nothing to
 * send.
 */
async function askQuestion(deps: Deps, complaintId: string, now: Date) {
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  const decision = complaint.status === 'deciding' ? complaint.pendingDecision : undefined;
  if (decision?.action !== 'request_info') {
    deps.logger.warn('no question to ask', { complaintId, status: complaint.status });
    return workflowState(complaint, now, {
      awaitSeconds: deps.settings.policy.infoRequest.reminderAfterSeconds,
    });
  }
  const accepting = timeline.findLast(
    (e) =>
      e.kind === 'audit' && e.action === 'acceptDecision' && e.details?.decisionId === decision.decisionId,
  );
  const version = accepting?.kind === 'audit' ? accepting.version : complaint.version;
  await mailCustomerOnce(
    deps,
    complaint,
    infoRequestMail(complaint, decision.question),
    'info_request',
    `${complaintId}-info-request-v${version}`,
    now,
    false,
    timeline,
  );
  return workflowState(complaint, now, { awaitSeconds: decision.awaitSeconds });
}

/**
 * Customer-facing steps without a person: the agent's question, the reminder after an unanswered request for information,
 * the bookkeeping of an unreachable follow-up call, and the satisfaction survey after the last attempt.
 * Replay keys: the reminder consumes the live token of the wait that timed out (`waitTimedOut`), the unreachable count
 * consumes the agent's pending outcome, the survey is sent once per follow-up (`surveySentAt`); a replay
 * finds its change made and only makes sure the mail went out, under the key of the first run.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, kind } = eventSchema.parse(event);
  const cfg = deps.settings;
  const { policy } = cfg;
  const now = deps.clock();
  if (kind === 'question') return askQuestion(deps, complaintId, now);
  let complaint = await loadComplaint(deps, complaintId);

  if (kind === 'reminder') {
    if (waitTimedOut(complaint, 'customer', now)) {
      const { complaint: next, audit } = remindCustomer(complaint, policy, now);
      await deps.store.save(next, [audit]);
      complaint = next;
    } else {
      // A reply that came in on the wait that timed out into this reminder is not asked for again (and
      // the wait after the reminder would close the complaint as abandoned).
      const answered = complaint;
      await refuseAnswerAsWaitTimedOut(answered, 'awaiting_customer', now, {
        released: () => releasedAtVersion(deps, answered),
      });
    }
    const question = await openQuestion(deps, complaint);
    const version = await versionOfLast(deps, complaint, 'remindCustomer');
    await mailCustomerOnce(
      deps,
      complaint,
      reminderMail(complaint, question),
      'reminder',
      `${complaint.id}-reminder-v${version}`,
      now,
    );
    return workflowState(complaint, now, { awaitSeconds: policy.infoRequest.closeAfterSeconds });
  }

  if (kind === 'unreachable') {
    if (pendingFor(complaint, ['follow_up'], ['unreachable'])) {
      const result = recordUnreachable(complaint, policy, now);
      await deps.store.save(result.complaint, [result.audit]);
      complaint = result.complaint;
    }
    const attemptsLeft = Math.max(0, policy.followUp.maxCallAttempts - (complaint.followUp?.attempts ?? 0));
    const retryAt = new Date(complaint.followUp?.scheduledFor ?? now);
    const callDue = addBusinessDelay(retryAt, policy.followUp.callSlaSeconds, policy);
    deps.logger.info('follow-up call unreachable', { complaintId, attemptsLeft });
    return {
      complaintId,
      tier: complaint.tier,
      known: knownOf(complaint),
      attemptsLeft,
      retryAt: retryAt.toISOString(),
      // The next FollowUpCall is entered at retryAt: its timeout counts from there.
      awaitSeconds: secondsUntil(callDue, retryAt),
    };
  }

  if (!surveySent(complaint)) {
    const result = sendSurvey(complaint, policy, now);
    await deps.store.save(result.complaint, [result.audit]);
    complaint = result.complaint;
  }
  const sentAt = complaint.followUp?.surveySentAt ?? now.toISOString();
  const expiresAt = surveyExpiry(sentAt, policy);
  // The survey's signing code (jose) only in the kind that signs: a chunk of its own, on first use.
  const { signSurveyToken, surveyLinks } = await import('../../application/surveyLinks');
  const token = await signSurveyToken(await deps.signingKey(), complaintId, new Date(expiresAt), sentAt);
  const links = surveyLinks(required(cfg, 'surveyBaseUrl'), token);
  await mailCustomerOnce(
    deps,
    complaint,
    surveyMail(complaint, links, expiresAt),
    'survey',
    `${complaintId}-survey-${Date.parse(sentAt)}`,
    now,
  );
  return workflowState(complaint, now, { awaitSeconds: policy.followUp.surveyLinkLifetimeSeconds });
};

export const { handler, handlerFor } = lambdaEntry(
  createHandler,
  ['surveyBaseUrl', 'surveySigningSecretArn'],
  {
    store: complaintStore,
    mailer: sesMailer,
    notifier: teamNotifier,
    signingKey: secretSigningKey,
    ledger: mailLedger,
  },
);
