import { z } from 'zod';
import type { Complaint } from '../../core/complaint';
import {
  pendingFor,
  recordUnreachable,
  remindCustomer,
  sendSurvey,
  surveyExpiry,
  surveySent,
  waitTimedOut,
  workflowState,
} from '../../core/lifecycle';
import { reminderMail, surveyMail } from '../../core/mail/templates';
import { addBusinessDelay, secondsUntil } from '../../core/sla';
import { config, required } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices, type Services } from '../../shared/services';
import { signSurveyToken, surveyLinks } from '../../shared/surveyLinks';
import { loadComplaint, mailCustomerOnce } from '../../shared/workflowSupport';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  kind: z.enum(['reminder', 'unreachable', 'survey']),
});

/** The question of the open request for information, for the reminder. */
async function openQuestion(services: Services, c: Complaint): Promise<string | undefined> {
  const timeline = await services.store.timeline(c.id);
  const asked = timeline.filter((e) => e.kind === 'message' && e.purpose === 'info_request').pop();
  return asked?.kind === 'message' ? asked.text : undefined;
}

/** The version the newest `action` audit entry recorded: what a replay of that step produced. */
async function versionOfLast(services: Services, c: Complaint, action: string): Promise<number> {
  const timeline = await services.store.timeline(c.id);
  const last = timeline.filter((e) => e.kind === 'audit' && e.action === action).pop();
  return last?.kind === 'audit' ? last.version : c.version;
}

/**
 * Customer-facing steps without a person: the reminder after an unanswered request for information,
 * the bookkeeping of an unreachable follow-up call, and the satisfaction survey after the last attempt.
 * Replay keys: the reminder consumes the live token of the wait that timed out (`waitTimedOut`), the unreachable count
 * consumes the agent's pending outcome, the survey is sent once per follow-up (`surveySentAt`); a replay
 * finds its change made and only makes sure the mail went out, under the key of the first run.
 */
export async function handler(event: unknown) {
  const { complaintId, kind } = eventSchema.parse(event);
  const services = getServices();
  const cfg = config();
  const { policy } = cfg;
  const now = new Date();
  let complaint = await loadComplaint(services, complaintId);

  if (kind === 'reminder') {
    if (waitTimedOut(complaint, 'customer', now)) {
      const { complaint: next, audit } = remindCustomer(complaint, policy, now);
      await services.store.save(next, [audit]);
      complaint = next;
    }
    const question = await openQuestion(services, complaint);
    const version = await versionOfLast(services, complaint, 'remindCustomer');
    await mailCustomerOnce(
      services,
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
      await services.store.save(result.complaint, [result.audit]);
      complaint = result.complaint;
    }
    const attemptsLeft = Math.max(0, policy.followUp.maxCallAttempts - (complaint.followUp?.attempts ?? 0));
    const retryAt = new Date(complaint.followUp?.scheduledFor ?? now);
    const callDue = addBusinessDelay(retryAt, policy.followUp.callSlaSeconds, policy);
    logger.info('follow-up call unreachable', { complaintId, attemptsLeft });
    return {
      complaintId,
      tier: complaint.tier,
      attemptsLeft,
      retryAt: retryAt.toISOString(),
      // The next FollowUpCall is entered at retryAt: its timeout counts from there.
      awaitSeconds: secondsUntil(callDue, retryAt),
    };
  }

  if (!surveySent(complaint)) {
    const result = sendSurvey(complaint, policy, now);
    await services.store.save(result.complaint, [result.audit]);
    complaint = result.complaint;
  }
  const sentAt = complaint.followUp?.surveySentAt ?? now.toISOString();
  const expiresAt = surveyExpiry(sentAt, policy);
  const token = await signSurveyToken(complaintId, new Date(expiresAt));
  const links = surveyLinks(required(cfg.surveyBaseUrl, 'SURVEY_BASE_URL'), token);
  await mailCustomerOnce(
    services,
    complaint,
    surveyMail(complaint, links, expiresAt),
    'survey',
    `${complaintId}-survey-${Date.parse(sentAt)}`,
    now,
  );
  return workflowState(complaint, now, { awaitSeconds: policy.followUp.surveyLinkLifetimeSeconds });
}
