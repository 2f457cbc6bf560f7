import { durationBuckets, medianOf } from './projection';

/** A counter item as stored: its sort key and figures (numbers, or sets of strings). */
export interface Counters {
  key: string;
  figures: Record<string, unknown>;
}

const num = (figures: Record<string, unknown>, name: string) => Number(figures[name] ?? 0);
const strings = (value: unknown) => [...((value as Iterable<string> | undefined) ?? [])].sort();
const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

/** Sums the figures of several counter items (e.g. the days of a range). */
function sum(items: readonly Counters[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const item of items) {
    for (const [name, value] of Object.entries(item.figures)) {
      if (typeof value === 'number') total[name] = (total[name] ?? 0) + value;
    }
  }
  return total;
}

const histogram = (total: Record<string, number>, prefix: string) =>
  Array.from({ length: durationBuckets.length + 1 }, (_, i) => total[`${prefix}${i}`] ?? 0);

export interface SlaRow {
  group: string;
  firstResponses: number;
  firstResponsesMet: number;
  firstResponseCompliance: number | null;
  /** Upper edge of the histogram bucket holding the median (seconds from opening). */
  medianFirstResponseSeconds: number | null;
  resolutions: number;
  resolutionsMet: number;
  resolutionCompliance: number | null;
  medianResolutionSeconds: number | null;
  breaches: number;
}

/** One row per group value with any activity in the range: compliance, medians and breaches. */
export function slaRows(byGroup: ReadonlyMap<string, readonly Counters[]>): SlaRow[] {
  const rows: SlaRow[] = [];
  for (const [group, days] of byGroup) {
    if (days.length === 0) continue;
    const t = sum(days);
    rows.push({
      group,
      firstResponses: t.firstResponses ?? 0,
      firstResponsesMet: t.firstResponsesMet ?? 0,
      firstResponseCompliance: ratio(t.firstResponsesMet ?? 0, t.firstResponses ?? 0),
      medianFirstResponseSeconds: medianOf(histogram(t, 'frH')),
      resolutions: t.resolutions ?? 0,
      resolutionsMet: t.resolutionsMet ?? 0,
      resolutionCompliance: ratio(t.resolutionsMet ?? 0, t.resolutions ?? 0),
      medianResolutionSeconds: medianOf(histogram(t, 'rsH')),
      breaches: t.breaches ?? 0,
    });
  }
  return rows;
}

export interface RecurringRow {
  category: string;
  rootCause: string;
  /** Resolutions per ISO week (Monday), oldest first, every week of the range. */
  weeks: { week: string; resolutions: number }[];
  total: number;
  /** The last week against the mean of the weeks before it. */
  lastWeek: number;
  baseline: number;
  spike: boolean;
}

/**
 * Category × root cause per week. A spike: the last week of the range has at least three resolutions
 * and at least twice the mean of the weeks before it.
 */
export function recurringRows(items: readonly Counters[], weeks: readonly string[]): RecurringRow[] {
  const byPair = new Map<string, Map<string, number>>();
  for (const item of items) {
    const [, week, category, rootCause] = item.key.split('#');
    const pair = `${category}#${rootCause}`;
    const counts = byPair.get(pair) ?? new Map<string, number>();
    counts.set(week as string, (counts.get(week as string) ?? 0) + num(item.figures, 'resolutions'));
    byPair.set(pair, counts);
  }
  const rows: RecurringRow[] = [];
  for (const [pair, counts] of byPair) {
    const [category, rootCause] = pair.split('#') as [string, string];
    const series = weeks.map((week) => ({ week, resolutions: counts.get(week) ?? 0 }));
    const lastWeek = series.at(-1)?.resolutions ?? 0;
    const before = series.slice(0, -1);
    const baseline = before.length ? before.reduce((a, w) => a + w.resolutions, 0) / before.length : 0;
    rows.push({
      category,
      rootCause,
      weeks: series,
      total: series.reduce((a, w) => a + w.resolutions, 0),
      lastWeek,
      baseline: Math.round(baseline * 100) / 100,
      spike: lastWeek >= 3 && lastWeek >= 2 * baseline,
    });
  }
  return rows.sort((a, b) => b.total - a.total || a.category.localeCompare(b.category));
}

export interface AtRiskRow {
  /** The Monday of the ISO week the customer was flagged in. */
  week: string;
  customerId: string;
  reasons: string[];
  /** The complaints that flagged the customer that week (the first 100: `atRiskListedComplaints`). */
  complaints: string[];
  /** Flags that week of complaints beyond those listed. */
  unlistedFlags: number;
}

/** A customer's week at risk, from its counter item (`WEEK#<monday>#CUSTOMER#<customer id>`). */
export const atRiskRows = (items: readonly Counters[]): AtRiskRow[] =>
  items.map((i) => {
    const [, week = '', , ...customer] = i.key.split('#');
    return {
      week,
      customerId: customer.join('#'),
      reasons: strings(i.figures.reasons),
      complaints: strings(i.figures.complaints),
      unlistedFlags: num(i.figures, 'unlistedFlags'),
    };
  });

export interface CsatRow {
  week: string;
  satisfied: number;
  unsatisfied: number;
  csat: number | null;
  byChannel: Record<string, { satisfied: number; unsatisfied: number }>;
}

/** Satisfaction per week: satisfied / (satisfied + unsatisfied) of follow-up calls, surveys and mail. */
export function csatRows(items: readonly Counters[]): CsatRow[] {
  return items.map((i) => {
    const satisfied = num(i.figures, 'satisfied');
    const unsatisfied = num(i.figures, 'unsatisfied');
    const byChannel: CsatRow['byChannel'] = {};
    for (const via of ['call', 'survey', 'customer_mail']) {
      const s = num(i.figures, `satisfied_${via}`);
      const u = num(i.figures, `unsatisfied_${via}`);
      if (s + u > 0) byChannel[via] = { satisfied: s, unsatisfied: u };
    }
    return {
      week: i.key.replace(/^WEEK#/, ''),
      satisfied,
      unsatisfied,
      csat: ratio(satisfied, satisfied + unsatisfied),
      byChannel,
    };
  });
}

export interface WorkloadRow {
  kind: 'tier' | 'agent';
  id: string;
  /** Open complaints at the tier (tiers only). */
  open?: number;
  resolved: number;
  averageHandlingSeconds: number | null;
}

export const workloadRows = (items: readonly Counters[]): WorkloadRow[] =>
  items.map((i) => {
    const [kind, ...id] = i.key.split('#');
    const resolved = num(i.figures, 'resolved');
    return {
      kind: kind === 'TIER' ? 'tier' : 'agent',
      id: id.join('#'),
      ...(kind === 'TIER' ? { open: num(i.figures, 'open') } : {}),
      resolved,
      averageHandlingSeconds: resolved ? Math.round(num(i.figures, 'handlingSeconds') / resolved) : null,
    };
  });
