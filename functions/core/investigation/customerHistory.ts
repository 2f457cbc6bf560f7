import type { Policy } from '../policy';

/** A complaint of the same customer, as the investigation sees it. */
export interface PastComplaint {
  id: string;
  createdAt: string;
  status: string;
  subject: string;
  category?: string;
  /** Outcome of the follow-up call or survey, when there was one. */
  csat?: 'satisfied' | 'unsatisfied';
  /** Opened by automated mail or a robot sender: no evidence of a person complaining again. */
  automated?: boolean;
}

export interface CustomerHistory {
  /** Complaints created in the last `historyDays` (boundary included), this one included. */
  complaintsInWindow: number;
  /** The customer's other complaints still being worked on, whatever their age. */
  open: number;
  /** Follow-up outcome of the most recent complaint in the window that has one. */
  lastCsat?: 'satisfied' | 'unsatisfied';
}

const dayMs = 24 * 3600 * 1000;

/**
 * Statuses in which nobody works on a complaint any more: the resolution has been sent (a customer
 * reply then reopens it through threading) or it is closed. Neither counts as open nor as a merge target.
 */
const settledStatuses: ReadonlySet<string> = new Set(['resolved', 'awaiting_follow_up', 'closed']);

/** Whether a complaint is still being worked on (not resolved, awaiting its follow-up, or closed). */
export function isOpenComplaint(c: Pick<PastComplaint, 'status'>): boolean {
  return !settledStatuses.has(c.status);
}

/**
 * Whether `createdAt` lies at most `days` before `now` (exactly `days` ago is inside). Unparseable
 * dates are outside: a corrupt record must not make a customer look like a repeat complainer.
 */
export function createdWithin(createdAt: string, days: number, now: Date): boolean {
  const at = Date.parse(createdAt);
  return !Number.isNaN(at) && at >= now.getTime() - days * dayMs;
}

/** The customer's complaints created in the history window, most recent first; automated ones left out. */
function complaintsInHistoryWindow(history: readonly PastComplaint[], now: Date, policy: Policy) {
  return history
    .filter((c) => !c.automated && createdWithin(c.createdAt, policy.investigation.historyDays, now))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/**
 * The customer's recent record: complaints a person wrote in the history window (counting this one even
 * when the store has not returned it yet; a newsletter or an auto-reply is no complaint again), their other open complaints, and the latest follow-up outcome.
 */
export function summariseCustomerHistory(
  complaintId: string,
  history: readonly PastComplaint[],
  now: Date,
  policy: Policy,
): CustomerHistory {
  const inWindow = complaintsInHistoryWindow(history, now, policy);
  const ids = new Set(inWindow.map((c) => c.id)).add(complaintId);
  const open = new Set(history.filter((c) => c.id !== complaintId && isOpenComplaint(c)).map((c) => c.id));
  const lastCsat = inWindow.find((c) => c.csat !== undefined)?.csat;
  return { complaintsInWindow: ids.size, open: open.size, ...(lastCsat ? { lastCsat } : {}) };
}

/**
 * Complaints in the history window whose follow-up left the customer unsatisfied, most recent first.
 * Any of them, not only the latest: one good follow-up does not undo a recent unhappy one, and more
 * history can then only add risk. This complaint's own outcome counts too (a reopened complaint).
 */
export function unsatisfiedFollowUps(history: readonly PastComplaint[], now: Date, policy: Policy): string[] {
  return complaintsInHistoryWindow(history, now, policy)
    .filter((c) => c.csat === 'unsatisfied')
    .map((c) => c.id);
}
