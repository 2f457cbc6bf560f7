import { mailCustomer } from '../../application/customerMail';
import type { Deps } from '../../application/deps';
import { loadWithTimeline } from '../../application/workflowSupport';
import { sesMailer, teamNotifier } from '../../composition/awsAdapters';
import { lambdaEntry } from '../../composition/lambda';
import type { AuditEntry, MessageEntry } from '../../core/complaint';
import { acknowledgementMail } from '../../core/mail/templates';
import * as z from '../../core/schema';

const eventSchema = z.object({
  complaintId: z.string().check(z.minLength(1)),
  /** Set by the state machine once the acknowledgement's retries are spent: `{ Error, Cause }`. */
  failure: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
});

/** Send-once key of a complaint's acknowledgement (also its timeline entry id). */
export const acknowledgementId = (complaintId: string) => `${complaintId}-ack`;

/**
 * Acknowledge step, the first state of every execution: the customer learns their reference. It runs
 * inside the workflow so that whatever happens to the mail (SES refusing the address or a header), the
 * complaint is investigated and queued. Everything it needs is stored: the loop-guard findings of the
 * customer's mail (automated mail is never answered, only recorded as suppressed), the Message-ID to
 * thread under, and the complaint a linked one continues. Sent once per complaint (the outbound ledger),
 * so a reopened complaint's new execution and every replay find it sent.
 *
 * With `failure` (retries spent) it records `acknowledgementFailed` on the timeline and lets the
 * workflow go on to the investigation.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, failure } = eventSchema.parse(event);
  const cfg = deps.settings;
  const now = deps.clock();
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  const id = acknowledgementId(complaintId);
  if (failure) {
    // A timeline item's key includes its time: a replay must not add the entry again.
    if (timeline.some((e) => e.id === `${id}-failed`)) return { complaintId };
    const entry: AuditEntry = {
      kind: 'audit',
      id: `${id}-failed`,
      at: now.toISOString(),
      action: 'acknowledgementFailed',
      actor: { kind: 'system', id: 'workflow' },
      toStatus: complaint.status,
      version: complaint.version,
      details: { error: failure.Error, cause: (failure.Cause ?? '').slice(0, 500) },
    };
    await deps.store.append(complaintId, [entry]);
    deps.logger.warn('acknowledgement failed for good', { complaintId, error: failure.Error });
    return { complaintId };
  }
  if (timeline.some((e) => e.id === id || e.id === `${id}-suppressed`)) return { complaintId };
  const first = timeline.find((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound');
  const previous = complaint.linkedTo ? await deps.store.get(complaint.linkedTo) : undefined;
  try {
    await mailCustomer(deps, complaint, acknowledgementMail(complaint, previous?.reference), {
      purpose: 'acknowledgement',
      automatic: true,
      entryId: id,
      now,
      supportAddress: cfg.supportAddress,
      mailDomain: cfg.mailDomain,
      ...(first?.automated ? { answersAutomatedMail: first.automated } : {}),
      ...(first?.messageId ? { inReplyTo: first.messageId, references: [first.messageId] } : {}),
    });
  } catch (error) {
    // The state machine retries (OutboundMailInFlightError: until the other sender's lease ends).
    deps.logger.warn('acknowledgement not sent', { complaintId, error: error as Error });
    throw error;
  }
  return { complaintId };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  mailer: sesMailer,
  notifier: teamNotifier,
});
