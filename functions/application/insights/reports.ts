import type { ApplyOutcome, ReportStore } from '../../adapters/ports';
import type { DomainEvent } from '../../core/events/domainEvents';
import { complaintCategories } from '../../core/investigation/categories';
import { priorities } from '../../core/policy';
import { businessCounts } from '../../core/reports/businessMetrics';
import {
  atRiskWeekKey,
  reportUpdates,
  type SlaGrouping,
  uncategorised,
  weekOf,
} from '../../core/reports/projection';
import { atRiskRows, csatRows, recurringRows, slaRows, workloadRows } from '../../core/reports/reports';

/**
 * Whether the projector writes anything for an event: a report counter or a business metric. One that
 * counts nowhere (an SLA warning, a proposal) is not written at all: with nothing to add, a redelivery
 * has nothing to add twice.
 */
export const countsInReports = (event: DomainEvent) =>
  reportUpdates(event).length > 0 || Object.keys(businessCounts(event)).length > 0;

/**
 * Counts a delivered batch of domain events into the reports (the projector), each once per event id,
 * several per write (`ReportStore.applyAll`). An outcome per event, in order: counted now, not counted
 * (before: a redelivery or a replay; or nowhere to count, see {@link countsInReports}), or the error
 * that left it unwritten.
 */
export async function projectEvents(
  deps: { reports: ReportStore },
  events: DomainEvent[],
  now: Date,
): Promise<ApplyOutcome[]> {
  const counting = events.filter(countsInReports);
  const outcomes = await deps.reports.applyAll(
    counting.map((event) => ({ eventId: event.eventId, updates: reportUpdates(event) })),
    now,
  );
  const byEvent = new Map(counting.map((event, i) => [event, outcomes[i] as ApplyOutcome]));
  return events.map((event) => byEvent.get(event) ?? { counted: false });
}

/** The values each SLA grouping can take (each one partition of counters). */
const groupValues: Record<SlaGrouping, readonly string[]> = {
  tier: ['1', '2', '3'],
  priority: priorities,
  category: [...complaintCategories, uncategorised],
};

/** SLA compliance per group over whole UTC days `from`..`to`. */
export async function slaReport(
  deps: { reports: ReportStore },
  query: { from: string; to: string; groupBy: SlaGrouping },
) {
  const groups = await Promise.all(
    groupValues[query.groupBy].map(
      async (value) =>
        [
          value,
          await deps.reports.counters(
            `SLA#${query.groupBy}#${value}`,
            `DAY#${query.from}`,
            `DAY#${query.to}`,
          ),
        ] as const,
    ),
  );
  return { from: query.from, to: query.to, groupBy: query.groupBy, rows: slaRows(new Map(groups)) };
}

/** The Mondays of the `weeks` ISO weeks up to the one holding `to`, oldest first. */
export function weeksUpTo(to: string, weeks: number): string[] {
  const last = Date.parse(`${weekOf(`${to}T00:00:00Z`)}T00:00:00Z`);
  return Array.from({ length: weeks }, (_, i) =>
    new Date(last - (weeks - 1 - i) * 7 * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Category × root cause of the resolutions per week, with spikes against the weeks before. */
export async function recurringReport(deps: { reports: ReportStore }, query: { to: string; weeks: number }) {
  const weeks = weeksUpTo(query.to, query.weeks);
  const items = await deps.reports.counters('RECURRING', `WEEK#${weeks[0]}`, `WEEK#${weeks.at(-1)}#~`);
  return { weeks, rows: recurringRows(items, weeks) };
}

/** The at-risk counters' sort keys of the ISO weeks that overlap whole UTC days `from`..`to`. */
export function atRiskKeys(range: { from: string; to: string }) {
  return {
    from: atRiskWeekKey(weekOf(`${range.from}T00:00:00Z`)),
    to: `${atRiskWeekKey(weekOf(`${range.to}T00:00:00Z`))}~`,
  };
}

/**
 * The customers flagged at risk in the ISO weeks overlapping `from`..`to`: a row per customer and week,
 * newest week first, a page of `limit` rows at a time (`cursor`, the repository's, for the next).
 */
export async function atRiskReport(
  deps: { reports: ReportStore },
  query: { from: string; to: string; limit: number; cursor?: string | undefined },
) {
  const keys = atRiskKeys(query);
  const page = await deps.reports.counterPage('ATRISK', keys.from, keys.to, query);
  return { from: query.from, to: query.to, rows: atRiskRows(page.items), cursor: page.cursor };
}

/** How many customers were flagged at risk in the ISO weeks overlapping `from`..`to` (all pages). */
export async function atRiskCustomers(deps: { reports: ReportStore }, range: { from: string; to: string }) {
  const keys = atRiskKeys(range);
  const rows = atRiskRows(await deps.reports.counters('ATRISK', keys.from, keys.to));
  return new Set(rows.map((r) => r.customerId)).size;
}

/** Satisfaction per ISO week of the range. */
export async function csatReport(deps: { reports: ReportStore }, query: { from: string; to: string }) {
  const rows = csatRows(
    await deps.reports.counters('CSAT', `WEEK#${weekOf(`${query.from}T00:00:00Z`)}`, `WEEK#${query.to}`),
  );
  const satisfied = rows.reduce((a, r) => a + r.satisfied, 0);
  const unsatisfied = rows.reduce((a, r) => a + r.unsatisfied, 0);
  return {
    from: query.from,
    to: query.to,
    satisfied,
    unsatisfied,
    csat:
      satisfied + unsatisfied === 0
        ? null
        : Math.round((satisfied / (satisfied + unsatisfied)) * 10_000) / 10_000,
    rows,
  };
}

export async function workloadReport(deps: { reports: ReportStore }) {
  return { rows: workloadRows(await deps.reports.counters('WORKLOAD')) };
}
