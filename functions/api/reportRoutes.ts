import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import Negotiator from 'negotiator';
import {
  atRiskReport,
  csatReport,
  recurringReport,
  slaReport,
  workloadReport,
} from '../application/insights/reports';
import type { AtRiskRow, CsatRow, RecurringRow, SlaRow, WorkloadRow } from '../core/reports/reports';
import type { RouteContext, RouteHandler } from './complaintRoutes';
import { openCursor, signCursor } from './cursors';
import { json } from './problem';
import {
  atRiskReportQuerySchema,
  csatReportQuerySchema,
  noQuerySchema,
  rangeOf,
  recurringReportQuerySchema,
  slaReportQuerySchema,
} from './reportSchemas';

const query = (ctx: RouteContext) => ctx.event.queryStringParameters ?? {};

/**
 * RFC 4180 CSV: a header of the report's columns (an empty report is its header alone), then a line per
 * row, fields quoted when they hold a comma, quote or line break.
 * A text field that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return) gets a leading `'`, as OWASP advises against CSV injection: the managers open these
 * files in spreadsheets, and a value that reaches a report (a configured category, a root cause, an
 * agent's id) must not run there. Numbers stay numbers.
 */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const field = (value: unknown) => {
    const raw =
      value === null || value === undefined ? '' : Array.isArray(value) ? value.join(';') : String(value);
    const text = typeof value !== 'number' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return (
    [columns, ...rows.map((r) => columns.map((c) => r[c]))]
      .map((line) => line.map(field).join(','))
      .join('\r\n') + '\r\n'
  );
}

/** A report's CSV columns: names of its row's fields (checked), in their order. */
const columnsOf =
  <Row>() =>
  <const K extends readonly (keyof Row & string)[]>(...keys: K) =>
    keys;

const slaColumns = columnsOf<SlaRow>()(
  'group',
  'firstResponses',
  'firstResponsesMet',
  'firstResponseCompliance',
  'medianFirstResponseSeconds',
  'resolutions',
  'resolutionsMet',
  'resolutionCompliance',
  'medianResolutionSeconds',
  'breaches',
);
const recurringColumns = columnsOf<RecurringRow>()(
  'category',
  'rootCause',
  'total',
  'lastWeek',
  'baseline',
  'spike',
);
const atRiskColumns = columnsOf<AtRiskRow>()('week', 'customerId', 'reasons', 'complaints', 'unlistedFlags');
const csatColumns = columnsOf<CsatRow>()('week', 'satisfied', 'unsatisfied', 'csat');
const workloadColumns = columnsOf<WorkloadRow>()('kind', 'id', 'open', 'resolved', 'averageHandlingSeconds');

/** The report as JSON, or its rows as CSV in `columns` when the client prefers `text/csv`. */
function answer(
  ctx: RouteContext,
  report: { rows: readonly object[] },
  columns: readonly string[],
  csvRows?: Record<string, unknown>[],
) {
  // The client's preference by the Accept header's rules (q-values, case, wildcards); JSON when it
  // names neither.
  const accept = ctx.event.headers?.accept;
  const preferred = new Negotiator({ headers: accept ? { accept } : {} }).mediaType([
    'application/json',
    'text/csv',
  ]);
  if (preferred === 'text/csv') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
      body: toCsv(columns, csvRows ?? (report.rows as Record<string, unknown>[])),
    } satisfies APIGatewayProxyStructuredResultV2;
  }
  return json(200, report);
}

/** GET /reports/sla: first-response and resolution compliance, medians and breaches per group. */
export const getSlaReport: RouteHandler = async (ctx) => {
  const q = slaReportQuerySchema.parse(query(ctx));
  return answer(
    ctx,
    await slaReport(ctx.services, { ...rangeOf(q, ctx.now()), groupBy: q.groupBy }),
    slaColumns,
  );
};

/** GET /reports/recurring: category × root cause per week, spikes flagged. */
export const getRecurringReport: RouteHandler = async (ctx) => {
  const q = recurringReportQuerySchema.parse(query(ctx));
  const report = await recurringReport(ctx.services, {
    to: q.to ?? ctx.now().toISOString().slice(0, 10),
    weeks: q.weeks,
  });
  const rows = report.rows.map(({ weeks, ...row }) => ({
    ...row,
    ...Object.fromEntries(weeks.map((w) => [w.week, w.resolutions])),
  }));
  // A column per week of the range, oldest first, after the totals.
  return answer(ctx, report, [...recurringColumns, ...report.weeks], rows);
};

/**
 * GET /reports/at-risk: customers with risk signals, unsatisfied follow-ups or reopened complaints, a
 * row per customer and ISO week of the range, newest week first, in pages. The next page's cursor is
 * in the JSON, and in a `Link` header (rel="next") beside CSV.
 */
export const getAtRiskReport: RouteHandler = async (ctx) => {
  const q = atRiskReportQuerySchema.parse(query(ctx));
  const range = rangeOf(q, ctx.now());
  // A cursor pages the range it was issued for, and no other.
  const scope = ['report', 'ATRISK', `${range.from}..${range.to}`] as const;
  const cursor = await openCursor(ctx.services.signingKey, scope, q.cursor);
  const report = await atRiskReport(ctx.services, { ...range, limit: q.limit, cursor });
  const next = await signCursor(ctx.services.signingKey, scope, report.cursor);
  const paged = { ...report, cursor: next };
  const answered = answer(ctx, paged, atRiskColumns);
  if (!next) return answered;
  const params = new URLSearchParams({ ...range, limit: String(q.limit), cursor: next });
  return {
    ...answered,
    headers: { ...answered.headers, link: `</reports/at-risk?${params}>; rel="next"` },
  };
};

/** GET /reports/csat: satisfaction per week and over the range. */
export const getCsatReport: RouteHandler = async (ctx) => {
  const q = csatReportQuerySchema.parse(query(ctx));
  const report = await csatReport(ctx.services, rangeOf(q, ctx.now()));
  return answer(
    ctx,
    report,
    csatColumns,
    report.rows.map(({ byChannel: _c, ...row }) => row),
  );
};

/** GET /reports/workload: open complaints per tier, resolutions and handling time per tier and agent. */
export const getWorkloadReport: RouteHandler = async (ctx) => {
  noQuerySchema.parse(query(ctx));
  return answer(ctx, await workloadReport(ctx.services), workloadColumns);
};
