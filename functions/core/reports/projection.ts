import type { DomainEvent } from '../events/domainEvents';

/**
 * The manager reports, maintained from the domain events: each event adds to a few counters (O(1) work
 * per event, whatever the number of complaints stored), and a report reads only the counters of its
 * range. Pure: the repository applies the updates atomically, once per event id.
 */

/** Upper edges (seconds) of the duration histogram buckets; medians are reported as a bucket's edge. */
export const durationBuckets = [
  300, 900, 1_800, 3_600, 7_200, 14_400, 28_800, 57_600, 86_400, 172_800, 345_600, 604_800, 1_209_600,
  2_592_000,
] as const;

/** The histogram bucket of a duration: its index in {@link durationBuckets}, or the overflow bucket. */
export function bucketOf(seconds: number): number {
  const i = durationBuckets.findIndex((edge) => seconds <= edge);
  return i === -1 ? durationBuckets.length : i;
}

/**
 * The median of a histogram, as the upper edge of the bucket that holds it (null when empty, or
 * when the median is in the overflow bucket beyond 30 days).
 */
export function medianOf(histogram: readonly number[]): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen * 2 >= total) return durationBuckets[i] ?? null;
  }
  return null;
}

export const slaGroupings = ['tier', 'priority', 'category'] as const;
export type SlaGrouping = (typeof slaGroupings)[number];

/** A counter item and what one event adds to it (numbers added, strings added to sets). */
export interface CounterUpdate {
  partition: string;
  sort: string;
  add?: Record<string, number>;
  addToSets?: Record<string, string[]>;
  /**
   * Sets of `addToSets` that list only their first `limit` members. A member that would go beyond
   * them is left out, and the event is counted in the number named `unlisted` instead, so the item
   * stays far below DynamoDB's 400 KB however often it is added to. Such a set takes one member per
   * event.
   */
  listedUpTo?: Record<string, ListedSet>;
}

/** How many members a set lists, and the counter of the events beyond them. */
export interface ListedSet {
  limit: number;
  unlisted: string;
}

/** How many complaints a customer's week in the at-risk report lists; later flags are counted. */
export const atRiskListedComplaints = 100;

/** Adds `u` into the update of the same counter item in `totals` (numbers summed, sets united). */
export function sumCounterUpdate(totals: Map<string, CounterUpdate>, u: CounterUpdate): void {
  const key = `${u.partition}\n${u.sort}`;
  const into = totals.get(key) ?? { partition: u.partition, sort: u.sort };
  for (const [name, n] of Object.entries(u.add ?? {})) {
    into.add = { ...into.add, [name]: (into.add?.[name] ?? 0) + n };
  }
  for (const [name, values] of Object.entries(u.addToSets ?? {})) {
    into.addToSets = {
      ...into.addToSets,
      [name]: [...new Set([...(into.addToSets?.[name] ?? []), ...values])],
    };
  }
  if (u.listedUpTo) into.listedUpTo = { ...into.listedUpTo, ...u.listedUpTo };
  totals.set(key, into);
}

export const dayOf = (iso: string) => iso.slice(0, 10);

/** The Monday (UTC) of an instant's ISO week, as a date. */
/** The start of the at-risk counters' sort keys of the ISO week starting on Monday `week`. */
export const atRiskWeekKey = (week: string) => `WEEK#${week}#`;

export function weekOf(iso: string): string {
  const d = new Date(`${dayOf(iso)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
export const uncategorised = 'uncategorised';

/** The value of an event's SLA grouping (its classification when the event happened). */
export function groupValue(e: DomainEvent, by: SlaGrouping): string {
  if (by === 'tier') return String(e.tier);
  if (by === 'priority') return e.priority;
  return e.category ?? uncategorised;
}

/** What an event adds to the SLA figures of its day: first responses, resolutions, breaches. */
function slaFigures(e: DomainEvent): Record<string, number> | undefined {
  const add: Record<string, number> = {};
  if ((e.type === 'CustomerContacted' || e.type === 'ResolutionApplied') && e.data.firstResponseAt) {
    const due = e.data.sla?.target === 'firstResponse' ? e.data.sla.dueAt : undefined;
    add.firstResponses = 1;
    if (!due || e.data.firstResponseAt <= due) add.firstResponsesMet = 1;
    add[`frH${bucketOf(seconds(e.openedAt, e.data.firstResponseAt))}`] = 1;
  }
  if (e.type === 'ResolutionApplied') {
    add.resolutions = 1;
    if (!e.data.sla || e.occurredAt <= e.data.sla.dueAt) add.resolutionsMet = 1;
    add[`rsH${bucketOf(seconds(e.openedAt, e.occurredAt))}`] = 1;
  }
  if (e.type === 'SlaBreached') add.breaches = 1;
  return Object.keys(add).length > 0 ? add : undefined;
}

/** The at-risk reasons an event gives its customer. */
export function atRiskReasons(e: DomainEvent): string[] {
  switch (e.type) {
    case 'ComplaintEscalated':
      return e.data.riskSignals ?? [];
    case 'FollowUpCompleted':
    case 'SurveyAnswered':
      return e.data.outcome === 'unsatisfied' ? ['unsatisfied_follow_up'] : [];
    case 'ComplaintReopened':
      return ['reopened'];
    default:
      return [];
  }
}

/** Change in the number of open complaints of each tier an event makes. */
function openByTier(e: DomainEvent): Record<number, number> {
  switch (e.type) {
    case 'ComplaintOpened':
      return { [e.tier]: 1 };
    case 'ComplaintClosed':
      return { [e.tier]: -1 };
    case 'ComplaintReopened':
      return e.data.wasClosed ? { [e.tier]: 1 } : {};
    case 'ComplaintEscalated':
    case 'SlaBreached':
      return e.data.fromTier && e.data.toTier && e.data.fromTier !== e.data.toTier
        ? { [e.data.fromTier]: -1, [e.data.toTier]: 1 }
        : {};
    default:
      return {};
  }
}

/** Every counter update one event makes. */
export function reportUpdates(e: DomainEvent): CounterUpdate[] {
  const updates: CounterUpdate[] = [];
  const sla = slaFigures(e);
  if (sla) {
    for (const by of slaGroupings) {
      updates.push({
        partition: `SLA#${by}#${groupValue(e, by)}`,
        sort: `DAY#${dayOf(e.occurredAt)}`,
        add: sla,
      });
    }
  }
  if (e.type === 'ResolutionApplied') {
    updates.push({
      partition: 'RECURRING',
      sort: `WEEK#${weekOf(e.occurredAt)}#${e.category ?? uncategorised}#${e.data.resolution.rootCause}`,
      add: { resolutions: 1 },
    });
  }
  const reasons = atRiskReasons(e);
  if (reasons.length > 0) {
    // One item per customer and ISO week: the report reads the weeks of its range, newest first, in
    // pages, so neither an item nor a read grows with the customers flagged over the years.
    updates.push({
      partition: 'ATRISK',
      sort: `${atRiskWeekKey(weekOf(e.occurredAt))}CUSTOMER#${e.customerId}`,
      addToSets: { reasons, complaints: [e.complaintId] },
      listedUpTo: { complaints: { limit: atRiskListedComplaints, unlisted: 'unlistedFlags' } },
    });
  }
  if (e.type === 'FollowUpCompleted' || e.type === 'SurveyAnswered') {
    const via = e.type === 'SurveyAnswered' ? 'survey' : e.data.via;
    if (e.data.outcome !== 'unreachable') {
      updates.push({
        partition: 'CSAT',
        sort: `WEEK#${weekOf(e.occurredAt)}`,
        add: { [e.data.outcome]: 1, [`${e.data.outcome}_${via}`]: 1 },
      });
    }
  }
  for (const [tier, change] of Object.entries(openByTier(e))) {
    updates.push({ partition: 'WORKLOAD', sort: `TIER#${tier}`, add: { open: change } });
  }
  if (e.type === 'ResolutionApplied') {
    const handling = Math.round(seconds(e.openedAt, e.occurredAt));
    const figures = { resolved: 1, handlingSeconds: handling };
    updates.push({ partition: 'WORKLOAD', sort: `TIER#${e.tier}`, add: figures });
    if (e.actor.kind === 'agent' && e.actor.id) {
      updates.push({ partition: 'WORKLOAD', sort: `AGENT#${e.actor.id}`, add: figures });
    }
  }
  return updates;
}
