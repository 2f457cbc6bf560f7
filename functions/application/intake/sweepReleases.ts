import type { Deps } from '../deps';
import { fileReleasedMail } from './fileReleasedMail';

/**
 * How long a release may stay unfiled before the sweep files it itself: the API hands a release over
 * within milliseconds and Lambda runs an asynchronous invoke within seconds, so a release older than
 * this lost its hand-over (an API killed between marking it released and the invoke).
 */
export const releaseHandOverGraceMs = 5 * 60_000;

/** What one sweep did. */
export interface ReleaseSweep {
  /** Releases filed (their hand-over never arrived or failed, or it filed them meanwhile). */
  filed: string[];
  /** Pending marks dropped: the mail was erased before it was filed. */
  forgotten: string[];
  /** Releases younger than the grace period, left to their hand-over. */
  young: number;
}

/**
 * The intake function's scheduled sweep (every five minutes): files every released mail whose filing
 * has not been recorded within {@link releaseHandOverGraceMs}, exactly as the API's hand-over would
 * (`fileReleasedMail`, which files a mail once however often it runs, so racing a late hand-over is
 * harmless). A release that fails is retried by the next sweep; the sweep throws after trying the
 * others, so a release that keeps failing shows as the intake function's errors (an alarm) instead of
 * waiting unseen.
 */
export async function sweepReleasedMail(deps: Deps): Promise<ReleaseSweep> {
  const cutoff = deps.clock().getTime() - releaseHandOverGraceMs;
  const sweep: ReleaseSweep = { filed: [], forgotten: [], young: 0 };
  const failures: unknown[] = [];
  for (const pending of await deps.quarantine.pendingReleases()) {
    if (Date.parse(pending.releasedAt) > cutoff) {
      sweep.young++;
      continue;
    }
    try {
      const outcome = await fileReleasedMail(deps, pending.id);
      if (outcome === undefined) {
        // Nothing to file (the sender's data was erased meanwhile): the mark goes.
        await deps.quarantine.forgetPendingRelease(pending.id);
        sweep.forgotten.push(pending.id);
      } else {
        // Recording the outcome removed the mark (in one transaction with it).
        sweep.filed.push(pending.id);
      }
    } catch (e) {
      deps.logger.error('released mail not filed; the next sweep tries again', {
        quarantineId: pending.id,
        error: e,
      });
      failures.push(e);
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} released mail(s) could not be filed`);
  }
  return sweep;
}
