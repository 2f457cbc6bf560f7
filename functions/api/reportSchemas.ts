import { z } from 'zod';
import { slaGroupings } from '../core/reports/projection';

/** Longest range a report covers (a year and a day: a leap year's whole). */
export const maxReportDays = 366;

const day = z.iso.date().meta({ description: 'A UTC date, YYYY-MM-DD' });

const days = { from: day.optional(), to: day.optional() };

/**
 * A range of whole UTC days `from`..`to` (both included): both or neither (then the last 30 days),
 * in order, at most {@link maxReportDays} long.
 */
function checkRange(q: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  if ((q.from === undefined) !== (q.to === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give both from and to, or neither', path: ['from'] });
  } else if (q.from && q.to && q.from > q.to) {
    ctx.addIssue({ code: 'custom', message: 'from is after to', path: ['from'] });
  } else if (q.from && q.to && (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 >= maxReportDays) {
    ctx.addIssue({ code: 'custom', message: `the range is longer than ${maxReportDays} days`, path: ['to'] });
  }
}

export const slaReportQuerySchema = z
  .object({ ...days, groupBy: z.enum(slaGroupings).default('tier') })
  .strict()
  .superRefine(checkRange);
export const csatReportQuerySchema = z.object(days).strict().superRefine(checkRange);
export const recurringReportQuerySchema = z
  .object({
    to: day.optional(),
    weeks: z.coerce.number().int().min(2).max(52).default(8).meta({ description: 'ISO weeks up to `to`' }),
  })
  .strict();
export const noQuerySchema = z.object({}).strict();

/** The range a query asked for, or the 30 days up to `now`. */
export function rangeOf(q: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  if (q.from && q.to) return { from: q.from, to: q.to };
  const to = now.toISOString().slice(0, 10);
  return { from: new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10), to };
}
