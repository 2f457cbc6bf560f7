import { differenceInSeconds } from 'date-fns/differenceInSeconds';
import { addBusinessSeconds, businessSecondsBetween } from './businessCalendar';
import type { Policy, Priority } from './policy';

/** What a clock times: the agent's first response or resolution, an approver, or a follow-up call. */
export type SlaTarget = 'firstResponse' | 'resolution' | 'approval' | 'followUpCall';

/**
 * A running (or paused) SLA clock, as plain data stored on the complaint. Budgets count business
 * time, and time awaiting the customer does not count: a pause freezes what is left.
 */
export interface SlaClock {
  target: SlaTarget;
  /** ISO instant the clock was started. */
  startedAt: string;
  /** Business seconds allowed. */
  budgetSeconds: number;
  /** ISO instant at which the budget runs out (business time). */
  dueAt: string;
  /** ISO instant at which `policy.sla.warningRatio` of the budget is used. */
  warnAt: string;
  /** Set while awaiting the customer: the clock does not run. */
  pausedAt?: string;
  /** Business seconds left when the clock was paused. */
  remainingSeconds?: number;
}

export type SlaStatus = 'ok' | 'warning' | 'breached' | 'paused';

/** The policy's business-second budget for a complaint of this priority. */
export function slaBudget(
  priority: Priority,
  target: 'firstResponse' | 'resolution',
  policy: Policy,
): number {
  const targets = policy.sla.targets[priority];
  return target === 'firstResponse' ? targets.firstResponseSeconds : targets.resolutionSeconds;
}

/** The instant `seconds` of business time after `now` in the policy's calendar (e.g. the follow-up delay). */
export function addBusinessDelay(now: Date, seconds: number, policy: Policy): Date {
  return addBusinessSeconds(now, seconds, policy.calendar);
}

/** Deadlines of a clock that runs from `now` with `remainingSeconds` of its `budgetSeconds` left. */
function deadlines(
  now: Date,
  budgetSeconds: number,
  remainingSeconds: number,
  policy: Policy,
): Pick<SlaClock, 'dueAt' | 'warnAt'> {
  // The warning marks a share of the whole budget used, however the use was split by pauses; when
  // that share was already used before a pause, the warning is due as soon as the clock runs again.
  const untilWarning = Math.max(0, remainingSeconds - budgetSeconds * (1 - policy.sla.warningRatio));
  return {
    dueAt: addBusinessDelay(now, remainingSeconds, policy).toISOString(),
    warnAt: addBusinessDelay(now, untilWarning, policy).toISOString(),
  };
}

/** Starts a clock with `budgetSeconds` of business time from `now` (outside business hours: from the next opening). */
export function startSlaClock(now: Date, budgetSeconds: number, target: SlaTarget, policy: Policy): SlaClock {
  return {
    target,
    startedAt: now.toISOString(),
    budgetSeconds,
    ...deadlines(now, budgetSeconds, budgetSeconds, policy),
  };
}

/** Stops the clock while awaiting the customer, keeping the business seconds left; a paused clock is returned as is. */
export function pauseSlaClock(clock: SlaClock, now: Date, policy: Policy): SlaClock {
  if (clock.pausedAt !== undefined) return clock;
  return {
    ...clock,
    pausedAt: now.toISOString(),
    remainingSeconds: businessSecondsBetween(now, new Date(clock.dueAt), policy.calendar),
  };
}

/**
 * Restarts a paused clock: the time left when it was paused runs from `now` in business time, so
 * dueAt and warnAt move by the business time spent paused. A running clock is returned as is.
 */
export function resumeSlaClock(clock: SlaClock, now: Date, policy: Policy): SlaClock {
  const { pausedAt, remainingSeconds, ...running } = clock;
  if (pausedAt === undefined) return clock;
  // A paused clock without the time left is damaged data: treat its budget as spent so that it
  // escalates, rather than silently granting a fresh budget.
  return { ...running, ...deadlines(now, clock.budgetSeconds, remainingSeconds ?? 0, policy) };
}

/** Where the clock stands at `now`; a paused clock is 'paused' whatever its deadlines say. */
export function slaStatus(clock: SlaClock, now: Date): SlaStatus {
  if (clock.pausedAt !== undefined) return 'paused';
  if (now.getTime() >= Date.parse(clock.dueAt)) return 'breached';
  if (now.getTime() >= Date.parse(clock.warnAt)) return 'warning';
  return 'ok';
}

/**
 * Seconds a callback task may wait before its deadline: at least 1, because Step Functions rejects a
 * `TimeoutSecondsPath` value below 1 (an overdue complaint escalates at once).
 */
export function secondsUntil(due: Date | string, now: Date): number {
  return Math.max(1, differenceInSeconds(new Date(due), now, { roundingMethod: 'ceil' }));
}
