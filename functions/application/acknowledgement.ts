import type { AcknowledgementOutput } from '../../workflows/contract';
import type { AuditEntry, Complaint, MessageEntry, TimelineEntry } from '../core/complaint';
import { acknowledgementMail } from '../core/mail/templates';
import { mailCustomer } from './customerMail';
import type { Deps } from './deps';
import { investigateOnce } from './investigation';
import { loadWithTimeline } from './workflowSupport';

/** Send-once key of a complaint's acknowledgement (also its timeline entry id). */
export const acknowledgementId = (complaintId: string) => `${complaintId}-ack`;

/** Whether the acknowledgement went out or was suppressed with its reason: either way it is done. */
const acknowledged = (complaintId: string, timeline: TimelineEntry[]) => {
  const id = acknowledgementId(complaintId);
  return timeline.some((e) => e.id === id || e.id === `${id}-suppressed`);
};

/**
 * The customer learns their reference, once per complaint (the outbound ledger), so a reopened
 * complaint's new execution and every replay find it sent. Everything it needs is stored: the
 * loop-guard findings of the customer's mail (automated mail is never answered, only recorded as
 * suppressed), the Message-ID to thread under, and the complaint a linked one continues.
 */
async function acknowledgeOnce(
  deps: Deps,
  complaint: Complaint,
  timeline: TimelineEntry[],
  now: Date,
): Promise<void> {
  if (acknowledged(complaint.id, timeline)) return;
  const cfg = deps.settings;
  const first = timeline.find((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound');
  const previous = complaint.linkedTo ? await deps.store.get(complaint.linkedTo) : undefined;
  try {
    await mailCustomer(deps, complaint, acknowledgementMail(complaint, previous?.reference), {
      purpose: 'acknowledgement',
      automatic: true,
      entryId: acknowledgementId(complaint.id),
      now,
      supportAddress: cfg.supportAddress,
      mailDomain: cfg.mailDomain,
      ...(first?.automated ? { answersAutomatedMail: first.automated } : {}),
      ...(first?.messageId ? { inReplyTo: first.messageId, references: [first.messageId] } : {}),
    });
  } catch (error) {
    // The state machine retries (OutboundMailInFlightError: until the other sender's lease ends).
    deps.logger.warn('acknowledgement not sent', { complaintId: complaint.id, error: error as Error });
    throw error;
  }
}

/**
 * The first step of every execution: the acknowledgement, then the investigation, on one read of the
 * complaint's partition (the complaint item sorts before its timeline). The acknowledgement writes only
 * its ledger and timeline items, never the complaint item, so that read still holds the version the
 * investigation's conditional write expects.
 *
 * Each failure belongs to its own state. The acknowledgement's is thrown: the state machine retries
 * the step, then records it (AcknowledgementFailed) and investigates on its own. The investigation's
 * is not thrown, or it would be taken for the acknowledgement's: the step hands the investigation back
 * (`investigationPending`) to the Investigate state, which retries it and records its failure as its
 * own.
 */
export async function acknowledgeAndInvestigate(
  deps: Deps,
  complaintId: string,
): Promise<AcknowledgementOutput> {
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  await acknowledgeOnce(deps, complaint, timeline, deps.clock());
  try {
    // The investigation begins after the acknowledgement went out, and its entry follows it on the timeline.
    return await investigateOnce(deps, complaint, timeline, deps.clock());
  } catch (error) {
    deps.logger.warn('investigation handed to the Investigate state', { complaintId, error: error as Error });
    return { complaintId, investigationPending: true };
  }
}

/**
 * The acknowledgement's retries are spent: `acknowledgementFailed` goes on the timeline (once) and the
 * workflow investigates all the same. A step that failed after its acknowledgement was done (the
 * Lambda timing out in the investigation) records nothing: the acknowledgement did not fail.
 */
export async function recordAcknowledgementFailure(
  deps: Pick<Deps, 'store' | 'clock' | 'logger'>,
  complaintId: string,
  failure: { Error: string; Cause?: string | undefined },
): Promise<void> {
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  const id = `${acknowledgementId(complaintId)}-failed`;
  // A timeline item's key includes its time: a replay must not add the entry again.
  if (acknowledged(complaintId, timeline) || timeline.some((e) => e.id === id)) return;
  const entry: AuditEntry = {
    kind: 'audit',
    id,
    at: deps.clock().toISOString(),
    action: 'acknowledgementFailed',
    actor: { kind: 'system', id: 'workflow' },
    toStatus: complaint.status,
    version: complaint.version,
    details: { error: failure.Error, cause: (failure.Cause ?? '').slice(0, 500) },
  };
  await deps.store.append(complaintId, [entry]);
  deps.logger.warn('acknowledgement failed for good', { complaintId, error: failure.Error });
}
