import { eraseQuarantinedMail, isPseudonym } from '../../core/erasure';
import type { IntakeOutcome, QuarantinedMail } from '../../core/mail/filing';
import type { Deps } from '../deps';
import { receiveMail } from './receiveMail';

/**
 * Files a mail a manager released from quarantine (the intake function's side of the API's hand-over):
 * through intake without the quarantine rules, then the outcome on the quarantine record. Safe to run
 * any number of times: receiveMail files a mail once (its claim holds), and a recorded outcome ends it.
 * Returns undefined when the record is no released mail (erased meanwhile, or never released).
 */
export async function fileReleasedMail(deps: Deps, quarantineId: string): Promise<IntakeOutcome | undefined> {
  const held = await deps.quarantine.get(quarantineId);
  if (held?.status !== 'released' || held.sesEvent) {
    deps.logger.warn('quarantine release not filed: the record is no released mail', {
      quarantineId,
      status: held?.status,
    });
    return undefined;
  }
  const outcome = held.outcome ?? (await receiveMail(deps, held.delivery, { release: true }));
  if (!held.outcome) await deps.quarantine.recordOutcome(quarantineId, outcome);
  // Filed on an erased customer's complaint, it is recorded without personal data there: so is it here
  // (again after a crash between the two writes, since the outcome is then on the record).
  if (outcome.disposition === 'erased') await eraseReleased(deps, { ...held, outcome });
  return outcome;
}

/** The record of a released mail filed erased, erased as the erasure leaves quarantined mail. */
async function eraseReleased(deps: Deps, held: QuarantinedMail) {
  const sender = [held.summary.from, held.delivery.source].find((a) => a?.includes('@') && !isPseudonym(a));
  // Without an address to pseudonymise, one that occurs nowhere (an empty one would match everywhere).
  const erased = eraseQuarantinedMail(held, sender ?? 'nobody@invalid', intake, deps.clock());
  await deps.quarantine.replaceErased(erased);
  deps.logger.info('released mail on an erased complaint erased from the quarantine', {
    quarantineId: held.id,
  });
}

const intake = { kind: 'system', id: 'intake' } as const;
