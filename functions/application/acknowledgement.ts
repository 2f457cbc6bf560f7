import type { AcknowledgementOutput } from '../../workflows/contract';
import type { SentMail } from '../adapters/ports';
import type { AuditEntry, Complaint, MessageEntry, TimelineEntry } from '../core/complaint';
import { acknowledgementMail } from '../core/mail/templates';
import { type CustomerMailOptions, mailCustomer, recordSentAlone } from './customerMail';
import type { Deps } from './deps';
import { type Investigation, investigationOf, logInvestigated } from './investigation';
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
 * suppressed), the Message-ID to thread under, and the complaint a linked one continues. The caller
 * has checked that it was not acknowledged before; `recordSent` records the mail once SES took it
 * (with the investigation's state change, see below).
 */
async function acknowledgeOnce(
  deps: Deps,
  complaint: Complaint,
  timeline: TimelineEntry[],
  now: Date,
  recordSent?: CustomerMailOptions['recordSent'],
): Promise<void> {
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
      ...(recordSent ? { recordSent } : {}),
    });
  } catch (error) {
    // The state machine retries (OutboundMailInFlightError: until the other sender's lease ends).
    deps.logger.warn('acknowledgement not sent', { complaintId: complaint.id, error: error as Error });
    throw error;
  }
}

/**
 * The first step of every execution: the acknowledgement, then the investigation, on one read of the
 * complaint's partition (the complaint item sorts before its timeline).
 *
 * When both are still to do, the investigation is worked out first (its requests read or are
 * idempotent) and its state change is saved in the transaction that records the acknowledgement sent
 * (`ComplaintStore.saveWithSentMail`): one request less. The acknowledgement writes only its ledger and
 * timeline items before that, never the complaint item, so the read still holds the version the
 * change is conditional on. When that condition fails (a bounce, a customer reply or another write
 * moved the complaint since the read), SES has taken the mail already: it is recorded alone, as
 * `MailLedger.completeOutbound` always did, and the investigation is handed back, so a retry finds the
 * mail sent and never sends a second one. A mail suppressed, found sent or whose lease was taken over
 * leaves the change to be saved alone, as does an acknowledgement done before.
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
  const pending = { complaintId, investigationPending: true } as const;
  const handBack = (error: unknown) => {
    deps.logger.warn('investigation handed to the Investigate state', { complaintId, error: error as Error });
    return pending;
  };
  const acknowledging = !acknowledged(complaintId, timeline);
  // The acknowledgement's time is read first: its entry precedes the investigation's on the timeline,
  // as when the investigation began after the mail went out.
  const acknowledgedAt = deps.clock();
  let investigation: Investigation | undefined;
  try {
    investigation = await investigationOf(deps, complaint, timeline, deps.clock());
  } catch (error) {
    // Handed back after the acknowledgement, which does not wait for it.
    if (acknowledging) await acknowledgeOnce(deps, complaint, timeline, acknowledgedAt);
    return handBack(error);
  }
  const change = investigation.change;
  let folded: 'saved' | 'handedBack' | undefined;
  if (acknowledging) {
    const recordSent = change
      ? async (sent: SentMail) => {
          let outcome: Awaited<ReturnType<Deps['store']['saveWithSentMail']>>;
          try {
            outcome = await deps.store.saveWithSentMail(change.next, change.entries, sent);
          } catch (error) {
            // Written or not: recording the mail alone is harmless either way (the same items).
            deps.logger.warn('acknowledgement and investigation not saved together', {
              complaintId,
              error: error as Error,
            });
            outcome = 'complaintChanged';
          }
          if (outcome === 'leaseLost') return false;
          if (outcome === 'saved') {
            folded = 'saved';
            return true;
          }
          folded = 'handedBack';
          return recordSentAlone(deps.ledger, sent);
        }
      : undefined;
    await acknowledgeOnce(deps, complaint, timeline, acknowledgedAt, recordSent);
  }
  if (folded === 'handedBack')
    return handBack(new Error('the state change was not saved with the acknowledgement'));
  if (change && folded !== 'saved') {
    try {
      await deps.store.save(change.next, change.entries);
    } catch (error) {
      return handBack(error);
    }
  }
  logInvestigated(deps, investigation);
  return investigation.state;
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
