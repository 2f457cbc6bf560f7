import { z } from 'zod';
import type { Complaint } from '../../core/complaint';
import { recordUnreachable, remindCustomer, sendSurvey, workflowState } from '../../core/lifecycle';
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

/**
 * Customer-facing steps without a person: the reminder after an unanswered request for information,
 * the bookkeeping of an unreachable follow-up call, and the satisfaction survey after the last attempt.
 */
export async function handler(event: unknown) {
  const { complaintId, kind } = eventSchema.parse(event);
  const services = getServices();
  const cfg = config();
  const { policy } = cfg;
  const now = new Date();
  const complaint = await loadComplaint(services, complaintId);

  if (kind === 'reminder') {
    const { complaint: next, audit } = remindCustomer(complaint, policy, now);
    await services.store.save(next, [audit]);
    const question = await openQuestion(services, next);
    await mailCustomerOnce(
      services,
      next,
      reminderMail(next, question),
      'reminder',
      `${next.id}-reminder-v${next.version}`,
      now,
    );
    return workflowState(next, now, { awaitSeconds: policy.infoRequest.closeAfterSeconds });
  }

  if (kind === 'unreachable') {
    const result = recordUnreachable(complaint, policy, now);
    await services.store.save(result.complaint, [result.audit]);
    const retryAt = new Date(result.retryAt);
    const callDue = addBusinessDelay(retryAt, policy.followUp.callSlaSeconds, policy);
    logger.info('follow-up call unreachable', { complaintId, attemptsLeft: result.attemptsLeft });
    return {
      complaintId,
      tier: result.complaint.tier,
      attemptsLeft: result.attemptsLeft,
      retryAt: result.retryAt,
      // The next FollowUpCall is entered at retryAt: its timeout counts from there.
      awaitSeconds: secondsUntil(callDue, retryAt),
    };
  }

  const result = sendSurvey(complaint, policy, now);
  await services.store.save(result.complaint, [result.audit]);
  const token = await signSurveyToken(complaintId, new Date(result.expiresAt));
  const links = surveyLinks(required(cfg.surveyBaseUrl, 'SURVEY_BASE_URL'), token);
  await mailCustomerOnce(
    services,
    result.complaint,
    surveyMail(result.complaint, links, result.expiresAt),
    'survey',
    `${complaintId}-survey-v${result.complaint.version}`,
    now,
  );
  return workflowState(result.complaint, now, { awaitSeconds: policy.followUp.surveyLinkLifetimeSeconds });
}
