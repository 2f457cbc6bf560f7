import { addSeconds, differenceInSeconds } from 'date-fns';
import type { Policy, Priority } from './policy';

export type SlaTarget = 'firstResponse' | 'resolution';

/**
 * When the given SLA target falls due for a complaint of this priority, counted from `from`.
 * Durations come from the policy (seconds), so the fast profile needs no other code path.
 */
export function slaDueAt(from: Date, priority: Priority, target: SlaTarget, policy: Policy): Date {
  const t = policy.sla.targets[priority];
  return addSeconds(from, target === 'firstResponse' ? t.firstResponseSeconds : t.resolutionSeconds);
}

/**
 * Seconds a callback task may wait before its deadline: at least 1, because Step Functions rejects a
 * `TimeoutSecondsPath` value below 1 (an overdue complaint escalates at once).
 */
export function secondsUntil(due: Date | string, now: Date): number {
  return Math.max(1, differenceInSeconds(new Date(due), now, { roundingMethod: 'ceil' }));
}
