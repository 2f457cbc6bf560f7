import { slaGroupings } from '../core/reports/projection';
import * as z from '../core/schema';
import { page } from './schemas';

/** Longest range a report covers (a year and a day: a leap year's whole). */
export const maxReportDays = 366;

const day = z.iso.date().check(z.meta({ description: 'A UTC date, YYYY-MM-DD' }));

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
  weeks: z
    ._default(z.coerce.number().check(z.int(), z.gte(2), z.lte(52)), 8)
    .check(z.meta({ description: 'ISO weeks up to `to`' })),
});
/** Rows of the at-risk report per page by default, and at most. */
export const atRiskPage = { default: 100, max: 500 };

export const atRiskReportQuerySchema = z
  .strictObject({
    ...days,
    limit: z
      ._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(atRiskPage.max)), atRiskPage.default)
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
