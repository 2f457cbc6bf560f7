import type { ComplaintStore } from '../adapters/ports';
import type { Actor, Complaint, TimelineEntry } from '../core/complaint';
import {
  eraseComplaint,
  eraseEntry,
  eraseInboundClaim,
  eraseQuarantinedMail,
  pseudonymFor,
  recurringWindowsOf,
  storedObjectKeys,
} from '../core/erasure';
import { ConflictError } from '../core/errors';
import type { Deps } from './deps';
import { required } from './settings';

export interface ErasureSummary {
  complaints: number;
  messagesErased: number;
  /** Raw mail and attachment objects deleted (complaints' and quarantined mail's). */
  objectsDeleted: number;
  quarantinedMail: number;
}

export type ErasureDeps = Pick<Deps, 'store' | 'ledger' | 'quarantine' | 'rawMail' | 'settings'>;

/** Every complaint of the customer, all pages (read before erasing: erasure moves them off the index). */
export async function complaintsOf(store: ComplaintStore, email: string): Promise<Complaint[]> {
  const all: Complaint[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.byCustomer(email, { limit: 100, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

/**
 * Erases a customer's personal data (GDPR art. 17) from everything stored under their address:
 * - every complaint: raw mail and attachments deleted, the timeline rewritten without personal data
 *   (audit events kept, pseudonymised), then the complaint itself — last, so that a retry after a
 *   failure still finds it under the address and finishes the job;
 * - the recurring-issue windows it was counted in (the address replaced by its pseudonym);
 * - mail held in quarantine (raw mail deleted, record erased) and the intake's claims on their mail;
 * - the counters capping automatic mail to the address.
 * Idempotent: a second run finds nothing under the address.
 */
export async function eraseCustomer(
  deps: ErasureDeps,
  email: string,
  actor: Actor,
  now: Date,
): Promise<ErasureSummary> {
  const pseudonym = pseudonymFor(email);
  const summary: ErasureSummary = { complaints: 0, messagesErased: 0, objectsDeleted: 0, quarantinedMail: 0 };
  const bucket = required(deps.settings, 'rawMailBucket');
  const erasedAt = now.toISOString();
  /** Deletes stored objects; a raw mail's deletion is recorded first, for a redelivery of it to find. */
  const deleteObjects = async (keys: string[], where: { complaintId: string } | { quarantineId: string }) => {
    for (const key of keys) {
      if (key.startsWith(deps.settings.rawMailPrefix))
        await deps.ledger.markRawMailErased(key, { erasedAt, ...where });
      await deps.rawMail.delete(bucket, key);
    }
    summary.objectsDeleted += keys.length;
  };
  /** One pass over a complaint's timeline: what names the customer is erased, its objects deleted. */
  const eraseTimeline = async (
    complaintId: string,
    counts: { messagesErased: number; objectsDeleted: number },
  ) => {
    const timeline = await deps.store.timeline(complaintId);
    for (const window of recurringWindowsOf(timeline)) {
      await deps.store.pseudonymiseCategoryOccurrence(window, email, pseudonym);
    }
    const keys = storedObjectKeys(timeline);
    await deleteObjects(keys, { complaintId });
    const erased = timeline
      .map((e) => eraseEntry(e, email, pseudonym))
      .filter((e): e is TimelineEntry => e !== undefined);
    await deps.store.rewriteTimeline(complaintId, erased);
    counts.messagesErased += erased.filter((e) => e.kind === 'message').length;
    counts.objectsDeleted += keys.length;
  };
  for (const found of await complaintsOf(deps.store, email)) {
    const counts = { messagesErased: 0, objectsDeleted: 0 };
    let erasedElsewhere = false;
    // The complaint may be written meanwhile, with timeline entries in the same transaction that name
    // the customer (their reply taken as a decision, an SES event with the mark it sets): on a version
    // conflict the timeline is erased again before the re-read complaint, or those entries would keep
    // the address after the erasure answered.
    for (let attempt = 0, complaint = found; ; attempt++) {
      await eraseTimeline(found.id, counts);
      const next = eraseComplaint(complaint, email, actor, now, counts);
      try {
        await deps.store.save(next.complaint, [next.audit]);
        // A mail SES took meanwhile is recorded without writing the complaint (no version for this save
        // to fail on): its record checks that the complaint still has the address (see
        // `MailLedger.completeOutbound`), which it had until this save, so a record that committed
        // between the pass above and the save kept the address, subject and text. One more pass finds
        // it; any record after the save sees the pseudonym and writes its entry erased itself. (Its
        // counts go to the answer, as its objects do; the erase audit was written with the first pass's.)
        const late = { messagesErased: 0, objectsDeleted: 0 };
        await eraseTimeline(found.id, late);
        counts.messagesErased += late.messagesErased;
        break;
      } catch (e) {
        const current =
          e instanceof ConflictError && attempt < 4 ? await deps.store.get(found.id) : undefined;
        if (!current) throw e;
        complaint = current;
      }
      // Erased by a concurrent erasure of the address (a repeated request): that one recorded and counts
      // it, as a second erasure after it would find nothing.
      erasedElsewhere = complaint.customerEmail === pseudonym;
      if (erasedElsewhere) break;
    }
    if (erasedElsewhere) continue;
    summary.complaints += 1;
    summary.messagesErased += counts.messagesErased;
  }
  for (const held of await deps.quarantine.fromSender(email)) {
    // A held SES event has no raw mail.
    await deleteObjects(held.delivery.rawMailKey ? [held.delivery.rawMailKey] : [], {
      quarantineId: held.id,
    });
    await deps.quarantine.replaceErased(eraseQuarantinedMail(held, email, actor, now));
    summary.quarantinedMail += 1;
  }
  for (const claim of await deps.ledger.claimsFromSender(email)) {
    await deps.ledger.replaceErasedClaim(claim, eraseInboundClaim(claim, email));
  }
  await deps.ledger.forgetAutomaticMail(email);
  return summary;
}
