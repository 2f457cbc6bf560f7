import type { Policy } from '../policy';
import type { ComplaintCategory } from './triage';

export interface RecurringWindow {
  /** Key of the counter item: one per category and window. */
  key: string;
  /** Inclusive start, ISO. */
  windowStart: string;
  /** Exclusive end, ISO (the next window's start). */
  windowEnd: string;
}

/**
 * The fixed window a complaint of `category` created at `at` counts in for recurring-issue detection.
 * Windows of `recurring.windowSeconds` are aligned to the Unix epoch, so every Lambda derives the same
 * key without coordination and the repository can count on one item with an atomic add.
 */
export function recurringWindow(category: ComplaintCategory, at: Date, policy: Policy): RecurringWindow {
  const size = policy.investigation.recurring.windowSeconds * 1000;
  const start = Math.floor(at.getTime() / size) * size;
  const windowStart = new Date(start).toISOString();
  return { key: `${category}#${windowStart}`, windowStart, windowEnd: new Date(start + size).toISOString() };
}

/** Whether enough distinct customers reported the same category in one window to call it recurring. */
export function isRecurring(distinctCustomers: number, policy: Policy): boolean {
  return distinctCustomers >= policy.investigation.recurring.minCustomers;
}
