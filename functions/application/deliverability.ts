import type { AddressMark } from '../adapters/ports';
import { type Actor, type Complaint, transition } from '../core/complaint';
import { ConflictError, NotFoundError } from '../core/errors';
import { complaintsOf } from './customerErasure';
import type { Deps } from './deps';

export interface ClearedMark {
  address: string;
  /** Whether anything was cleared (false on a repeat: the address was deliverable already). */
  cleared: boolean;
  /** The mark SES feedback had left on the address, if it still had one. */
  mark?: AddressMark;
  /** The complaints whose undeliverable flag was cleared. */
  complaints: string[];
}

/**
 * A manager clears an address's undeliverable mark (the customer fixed their mailbox, or the bounce
 * was wrong): automatic mail may go to it again. Each flagged complaint of the address loses its flag
 * in an audited change (who, why, the mark it had), then the address's mark is removed, last, so that a
 * retry after a failure finds what is left and finishes. Idempotent: a repeat clears nothing and says
 * so. An address with neither a mark nor complaints is unknown (NotFoundError).
 */
export async function clearUndeliverable(
  deps: Pick<Deps, 'store' | 'ledger'>,
  address: string,
  reason: string,
  actor: Actor,
  now: Date,
): Promise<ClearedMark> {
  const [mark, complaints] = await Promise.all([
    deps.ledger.findUndeliverable(address),
    complaintsOf(deps.store, address),
  ]);
  if (!mark && complaints.length === 0) throw new NotFoundError(`No mail or complaints for ${address}`);
  const cleared: string[] = [];
  for (const complaint of complaints.filter((c) => c.undeliverable)) {
    if (await clearFlag(deps, complaint, reason, actor, now)) cleared.push(complaint.id);
  }
  if (mark) await deps.ledger.clearUndeliverable(address);
  return {
    address,
    cleared: mark !== undefined || cleared.length > 0,
    ...(mark ? { mark } : {}),
    complaints: cleared,
  };
}

/** Clears one complaint's flag (retried on a concurrent change); false when it was gone meanwhile. */
async function clearFlag(
  deps: Pick<Deps, 'store'>,
  first: Complaint,
  reason: string,
  actor: Actor,
  now: Date,
): Promise<boolean> {
  let complaint: Complaint | undefined = first;
  for (let attempt = 1; complaint?.undeliverable; attempt++) {
    const { undeliverable, ...flagged } = complaint;
    const { complaint: next, audit } = transition(
      flagged as Complaint,
      'clearUndeliverable',
      complaint.status,
      actor,
      now,
      {},
      { reason, mark: undeliverable },
    );
    try {
      await deps.store.save(next, [audit]);
      return true;
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= 5) throw e;
      complaint = await deps.store.get(complaint.id);
    }
  }
  return false;
}
