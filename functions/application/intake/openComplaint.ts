import type { ComplaintStore, OpenedFromMail } from '../../adapters/ports';
import type { AuditEntry, Complaint } from '../../core/complaint';
import { type inboundMessage, openComplaint } from '../../core/intake';
import { referenceFor } from '../../core/reference';
import type { Deps } from '../deps';
import type { Filing } from './fileMail';

/**
 * Opens the complaint of a new (or linked) mail and starts its workflow.
 *
 * `unclaimed`: the claim of a first-seen new mail is not written yet. The claim, the complaint, its
 * reference (the first candidate), thread token and entries then go in one transaction, and the
 * answer is false when that transaction was refused (a concurrent delivery's claim, a reference
 * taken by another complaint): the caller claims the mail and files it step by step, the path every
 * redelivery takes, in which each write lands on the same key. Otherwise (and once filed) `opened`.
 */
export async function openAndStart(
  deps: Deps,
  filing: Filing,
  message: ReturnType<typeof inboundMessage>,
  unclaimed = false,
): Promise<OpenedFromMail> {
  const { claim, mail } = filing;
  const { store, workflow } = deps;
  const previous = claim.linkedTo ? await store.get(claim.linkedTo) : undefined;
  const opened = openComplaint({
    id: claim.complaintId,
    reference: unclaimed
      ? referenceFor(claim.complaintId, 0)
      : await reserveReference(store, claim.complaintId),
    threadToken: threadTokenOf(claim),
    message,
    ...(mail.from?.name ? { customerName: mail.from.name } : {}),
    ...(previous ? { linkedTo: previous.id } : {}),
  });
  let complaint = opened.complaint;
  if (unclaimed) {
    const outcome = await store.openFromMail(complaint, opened.entries, claim);
    if (outcome !== 'opened') return outcome;
  } else {
    ({ complaint } = await store.create(complaint, opened.entries));
  }
  if (previous) await store.append(previous.id, [linkNote(previous, complaint, claim.receivedAt)]);
  // The acknowledgement is the workflow's first step: whatever becomes of the mail, the complaint is
  // investigated and queued. The execution is named after the complaint, so a redelivery starts nothing.
  await workflow.start(complaint.id, { complaintId: complaint.id });
  return 'opened';
}

/** On the closed complaint: where its late reply went (an audit note, no state change). */
function linkNote(previous: Complaint, linked: Complaint, at: string): AuditEntry {
  return {
    kind: 'audit',
    id: `${previous.id}-linked-${linked.id}`,
    at,
    action: 'linkedComplaintOpened',
    actor: { kind: 'system', id: 'intake' },
    toStatus: previous.status,
    version: previous.version,
    details: { linkedComplaintId: linked.id, reference: linked.reference },
  };
}

function threadTokenOf(claim: Filing['claim']): string {
  if (!claim.threadToken)
    throw new Error(`The claim of new complaint ${claim.complaintId} has no thread token`);
  return claim.threadToken;
}

/** Finds a free reference: deterministic candidates per complaint, uniqueness by conditional write. */
async function reserveReference(store: ComplaintStore, complaintId: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const reference = referenceFor(complaintId, attempt);
    if (await store.reserveReference(reference, complaintId)) return reference;
  }
  throw new Error(`No free reference found for complaint ${complaintId}`);
}
