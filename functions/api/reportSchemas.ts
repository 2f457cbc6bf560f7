import { slaGroupings } from '../core/reports/projection';
import * as z from '../core/schema';
import { page, queryInteger } from './schemas';

/** Longest range a report covers (a year and a day: a leap year's whole). */
export const maxReportDays = 366;

/**
 * The days a report can be asked for. Its day and week keys and labels are YYYY-MM-DD dates, and a
 * report reaches back before the days asked for (to the Monday of `from`'s week, and up to 52 weeks
 * before `to`): near the year 0 that lands before it, where `Date` writes signed six-digit years
 * (`-000001-12-27`), neither a week a report can show nor a key that sorts with the others. Nothing this
 * system records predates 1970 (its clocks count from then), so reports start there; the last day is
 * the last with a four-digit year.
 */
export const reportDays = { first: '1970-01-01', last: '9999-12-31' };

// A malformed date gets the format's issue alone, not a range issue besides.
const day = z.iso.date({ abort: true }).check(
  z.refine((d) => d >= reportDays.first && d <= reportDays.last, {
    message: `out of the range reports cover (${reportDays.first} to ${reportDays.last})`,
  }),
  z.meta({ description: `A UTC date, YYYY-MM-DD, from ${reportDays.first} to ${reportDays.last}` }),
);

const days = { from: z.optional(day), to: z.optional(day) };

/**
 * A range of whole UTC days `from`..`to` (both included): both or neither (then the last 30 days),
 * in order, at most {@link maxReportDays} long.
 */
function checkRange(q: { from?: string; to?: string }, ctx: z.core.$RefinementCtx) {
  if ((q.from === undefined) !== (q.to === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give both from and to, or neither', path: ['from'] });
  } else if (q.from && q.to && q.from > q.to) {
    ctx.addIssue({ code: 'custom', message: 'from is after to', path: ['from'] });
  } else if (q.from && q.to && (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 >= maxReportDays) {
    ctx.addIssue({ code: 'custom', message: `the range is longer than ${maxReportDays} days`, path: ['to'] });
  }
}

export const slaReportQuerySchema = z
  .strictObject({ ...days, groupBy: z._default(z.enum(slaGroupings), 'tier') })
  .check(z.superRefine(checkRange));
export const csatReportQuerySchema = z.strictObject(days).check(z.superRefine(checkRange));
export const recurringReportQuerySchema = z.strictObject({
  to: z.optional(day),
  // The default is given again for the document: zod leaves a transformed parameter's default out of it.
  weeks: z
    ._default(queryInteger(2, 52), 8)
    .check(z.meta({ description: 'ISO weeks up to `to`', default: 8 })),
});
/** Rows of the at-risk report per page by default, and at most. */
export const atRiskPage = { default: 100, max: 500 };

export const atRiskReportQuerySchema = z
  .strictObject({
    ...days,
    limit: z
      ._default(queryInteger(1, atRiskPage.max), atRiskPage.default)
      .check(z.meta({ description: 'Rows per page (a customer in a week)' })),
    cursor: page.cursor,
  })
  .check(z.superRefine(checkRange));
export const noQuerySchema = z.strictObject({});

/** The range a query asked for, or the 30 days up to `now`. */
export function rangeOf(q: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  if (q.from && q.to) return { from: q.from, to: q.to };
  const to = now.toISOString().slice(0, 10);
  return { from: new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10), to };
}
