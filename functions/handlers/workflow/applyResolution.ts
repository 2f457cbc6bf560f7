import { z } from 'zod';
import { InvalidTransitionError } from '../../core/errors';
import { applyResolution } from '../../core/lifecycle';
import { resolutionMail } from '../../core/mail/templates';
import { addBusinessDelay, secondsUntil } from '../../core/sla';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';
import { loadComplaint, mailCustomerOnce } from '../../shared/workflowSupport';

const eventSchema = z.object({ complaintId: z.string().min(1) });

/**
 * ApplyResolution step: applies the resolution the workflow received (from the agent, or approved by
 * a higher tier) after checking authority again, emails it and schedules the follow-up call.
 */
export async function handler(event: unknown) {
  const { complaintId } = eventSchema.parse(event);
  const services = getServices();
  const policy = config().policy;
  const now = new Date();
  let complaint = await loadComplaint(services, complaintId);
  if (complaint.status === 'deciding') {
    const decision = complaint.pendingDecision;
    const resolution =
      decision?.action === 'resolve' || decision?.action === 'approve' ? decision.resolution : undefined;
    if (!resolution)
      throw new InvalidTransitionError('No resolution to apply', { decision: decision?.action });
    const { complaint: next, audit } = applyResolution(complaint, resolution, policy, now);
    await services.store.save(next, [audit]);
    complaint = next;
  }
  if (!complaint.resolution || !complaint.followUp) {
    throw new InvalidTransitionError(`Complaint ${complaintId} is ${complaint.status}, not resolved`);
  }
  // One resolution mail per application (a reopened complaint may be resolved again later).
  await mailCustomerOnce(
    services,
    complaint,
    resolutionMail(complaint, complaint.resolution),
    'resolution',
    `${complaint.id}-resolution-v${complaint.version}`,
    now,
    false,
  );
  const followUpAt = new Date(complaint.followUp.scheduledFor);
  const callDue = addBusinessDelay(followUpAt, policy.followUp.callSlaSeconds, policy);
  logger.info('resolution applied', { complaintId, type: complaint.resolution.type, followUpAt });
  return {
    complaintId,
    tier: complaint.tier,
    followUpAt: followUpAt.toISOString(),
    // FollowUpCall is entered at followUpAt: its timeout counts from there.
    awaitSeconds: secondsUntil(callDue, followUpAt),
  };
}
