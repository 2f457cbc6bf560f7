import type { IntakeOutcome } from '../../core/mail/filing';
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
  if (held.outcome) return held.outcome;
  const outcome = await receiveMail(deps, held.delivery, { release: true });
  await deps.quarantine.recordOutcome(quarantineId, outcome);
  return outcome;
}
