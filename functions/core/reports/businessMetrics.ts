import type { DomainEvent } from '../events/domainEvents';

/** CloudWatch namespace of the business metrics (also read by the stack's dashboard and alarms). */
export const businessNamespace = 'Complaints';

/** The business metric counts one domain event adds (counted once per event, with the reports). */
export function businessCounts(e: DomainEvent): Record<string, number> {
  switch (e.type) {
    case 'ComplaintOpened':
      return { ComplaintsOpened: 1 };
    case 'ComplaintEscalated':
      return { Escalations: 1 };
    case 'SlaBreached':
      // A breach escalates (a tier or an approver role up): both figures count it.
      return { SlaBreaches: 1, Escalations: 1 };
    case 'ResolutionApplied':
      return { ResolutionsApplied: 1 };
    case 'ComplaintReopened':
      return { ComplaintsReopened: 1 };
    case 'ComplaintClosed':
      return { ComplaintsClosed: 1 };
    default:
      return {};
  }
}

/** What a queue holds now: how many complaints wait, and for how long the longest has waited. */
export interface QueueGauge {
  queue: string;
  depth: number;
  oldestWaitingSeconds: number;
}

/** Folds a page of waiting complaints into a queue's gauge. */
export function addToGauge(
  gauge: QueueGauge,
  waiting: readonly { waitingSince?: string; updatedAt: string }[],
  now: Date,
): QueueGauge {
  let oldest = gauge.oldestWaitingSeconds;
  for (const c of waiting) {
    const since = Date.parse(c.waitingSince ?? c.updatedAt);
    oldest = Math.max(oldest, Math.max(0, Math.round((now.getTime() - since) / 1000)));
  }
  return { ...gauge, depth: gauge.depth + waiting.length, oldestWaitingSeconds: oldest };
}
