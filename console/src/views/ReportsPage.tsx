import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiProblem,
  type AtRiskReport,
  type CsatReport,
  ok,
  type RecurringReport,
  type SlaReport,
  type WorkloadReport,
} from '../api/client';
import { components } from '../api/generated/openapi.json';
import { type QueryName, validateQuery } from '../api/validation';
import { useApp } from '../context';
import { onLinkClick } from '../router';
import { formatRemaining } from '../time';
import { BarChart, Sparkline } from './charts';
import { Field, Untrusted } from './common';

type GroupBy = SlaReport['groupBy'];
interface Reports {
  sla: SlaReport;
  recurring: RecurringReport;
  atRisk: AtRiskReport;
  csat: CsatReport;
  workload: WorkloadReport;
}
interface Filter {
  from: string;
  to: string;
  groupBy: GroupBy;
}

// The groupings the API answers with, from its published schema.
const groupings = components.schemas.SlaReport.properties.groupBy.enum as GroupBy[];
// The most rows the API answers per page of the at-risk report (its CSV is fetched page by page).
const atRiskPageMax = components.schemas.AtRiskReportQuery.properties.limit.maximum;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const percent = (share: number) => `${Math.round(share * 100)}%`;
/** A group value in words: `1` by tier is "tier 1", `product_defect` "product defect". */
const groupLabel = (groupBy: GroupBy, group: string) =>
  groupBy === 'tier' ? `tier ${group}` : group.replaceAll('_', ' ');
const duration = (seconds: number | null) => (seconds === null ? '—' : formatRemaining(seconds * 1000));

/** The queries of a filter; empty dates are left out (the API then takes the last 30 days). */
function queriesOf(f: Filter) {
  const range = { ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) };
  const days = f.from && f.to ? (Date.parse(f.to) - Date.parse(f.from)) / 86_400_000 + 1 : 30;
  // The recurring report counts whole ISO weeks up to `to`: as many as the range covers.
  const weeks = Math.min(52, Math.max(2, Math.ceil(days / 7)));
  return {
    SlaReportQuery: { ...range, groupBy: f.groupBy },
    RecurringReportQuery: { ...(f.to ? { to: f.to } : {}), weeks },
    CsatReportQuery: range,
    AtRiskReportQuery: range,
  } satisfies Record<QueryName, Record<string, unknown>>;
}

type Phase =
  | { kind: 'loading' }
  | { kind: 'ready'; reports: Reports; filter: Filter }
  | { kind: 'forbidden'; detail: string }
  | { kind: 'failed'; issues: Record<string, string> };

/** Manager reports: SLA compliance, satisfaction, recurring causes, workload and customers at risk. */
export function ReportsPage() {
  const { api } = useApp();
  const now = Date.now();
  const [filter, setFilter] = useState<Filter>({
    from: day(now - 29 * 86_400_000),
    to: day(now),
    groupBy: 'tier',
  });
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [downloadProblem, setDownloadProblem] = useState<string | undefined>();

  const load = async (f: Filter) => {
    const q = queriesOf(f);
    const issues = Object.assign(
      {},
      ...(Object.entries(q) as [QueryName, Record<string, unknown>][]).map(([name, query]) =>
        validateQuery(name, query),
      ),
    ) as Record<string, string>;
    if (Object.keys(issues).length > 0) return setPhase({ kind: 'failed', issues });
    setPhase({ kind: 'loading' });
    try {
      const [sla, recurring, atRisk, csat, workload] = await Promise.all([
        ok(api.GET('/reports/sla', { params: { query: q.SlaReportQuery } })),
        ok(api.GET('/reports/recurring', { params: { query: q.RecurringReportQuery } })),
        ok(api.GET('/reports/at-risk', { params: { query: q.AtRiskReportQuery } })),
        ok(api.GET('/reports/csat', { params: { query: q.CsatReportQuery } })),
        ok(api.GET('/reports/workload')),
      ]);
      setPhase({ kind: 'ready', reports: { sla, recurring, atRisk, csat, workload }, filter: f });
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 403) {
        return setPhase({ kind: 'forbidden', detail: e.message });
      }
      const fields = e instanceof ApiProblem ? e.fieldIssues : {};
      setPhase({
        kind: 'failed',
        issues: Object.keys(fields).length > 0 ? fields : { _: (e as Error).message },
      });
    }
  };
  useEffect(() => {
    load(filter);
  }, []);

  /**
   * Every page of the at-risk report as one CSV: each page's rows without its header line after the
   * first, following the `Link` header (rel="next") the API sends beside a page that has a next one.
   */
  const atRiskCsv = async (range: { from?: string; to?: string }) => {
    const lines: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const answer = await api.GET('/reports/at-risk', {
        params: { query: { ...range, limit: atRiskPageMax, ...(cursor ? { cursor } : {}) } },
        headers: { accept: 'text/csv' },
        parseAs: 'text',
      });
      const page = await ok<string>(Promise.resolve(answer));
      const rows = page.split('\r\n').filter((line) => line !== '');
      lines.push(...(lines.length === 0 ? rows : rows.slice(1)));
      const next = /<([^>]*)>;\s*rel="next"/.exec(answer.response.headers.get('link') ?? '')?.[1];
      cursor = next ? (new URLSearchParams(next.split('?')[1]).get('cursor') ?? undefined) : undefined;
      if (!cursor) return { data: `${lines.join('\r\n')}\r\n`, response: answer.response };
    }
  };

  /** The next page of the at-risk report, added below the rows shown. */
  const moreAtRisk = async (shown: Filter, reports: Reports) => {
    const cursor = reports.atRisk.cursor;
    if (!cursor) return;
    try {
      const next = await ok(
        api.GET('/reports/at-risk', { params: { query: { ...queriesOf(shown).AtRiskReportQuery, cursor } } }),
      );
      setPhase({
        kind: 'ready',
        filter: shown,
        reports: { ...reports, atRisk: { ...next, rows: [...reports.atRisk.rows, ...next.rows] } },
      });
    } catch (e) {
      setDownloadProblem(`More customers at risk could not be fetched: ${(e as Error).message}`);
    }
  };

  /** The shown report's rows as the API writes them in CSV (Accept: text/csv), saved as a file. */
  const download = async (name: keyof Reports, shown: Filter) => {
    setDownloadProblem(undefined);
    const q = queriesOf(shown);
    const csv = { headers: { accept: 'text/csv' }, parseAs: 'text' } as const;
    const text = await ok<string>(
      name === 'sla'
        ? api.GET('/reports/sla', { params: { query: q.SlaReportQuery }, ...csv })
        : name === 'recurring'
          ? api.GET('/reports/recurring', { params: { query: q.RecurringReportQuery }, ...csv })
          : name === 'csat'
            ? api.GET('/reports/csat', { params: { query: q.CsatReportQuery }, ...csv })
            : name === 'atRisk'
              ? atRiskCsv(q.AtRiskReportQuery)
              : api.GET('/reports/workload', csv),
    ).catch((e: Error) => setDownloadProblem(`The CSV could not be fetched: ${e.message}`));
    if (text === undefined) return;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${name}-${shown.from || 'last-30-days'}-${shown.to || 'today'}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  if (phase.kind === 'forbidden') {
    return (
      <section aria-labelledby="reports-title">
        <h1 id="reports-title">Reports</h1>
        <p role="alert" class="notice">
          Reports are for managers only. {phase.detail}
        </p>
      </section>
    );
  }
  const issues = phase.kind === 'failed' ? phase.issues : {};
  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Reports</h1>
      <form
        class="report-filter"
        onSubmit={(e) => {
          e.preventDefault();
          load(filter);
        }}
      >
        <Field id="report-from" label="From (UTC day)" error={issues.from}>
          {(aria) => (
            <input
              {...aria}
              type="date"
              value={filter.from}
              onInput={(e) => setFilter({ ...filter, from: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="report-to" label="To (UTC day)" error={issues.to}>
          {(aria) => (
            <input
              {...aria}
              type="date"
              value={filter.to}
              onInput={(e) => setFilter({ ...filter, to: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field id="report-group-by" label="SLA by" error={issues.groupBy}>
          {(aria) => (
            <select
              {...aria}
              value={filter.groupBy}
              onChange={(e) => setFilter({ ...filter, groupBy: e.currentTarget.value as GroupBy })}
            >
              {groupings.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" class="primary" disabled={phase.kind === 'loading'}>
          Show
        </button>
      </form>
      {issues._ ? (
        <p class="error" role="alert">
          {issues._}
        </p>
      ) : null}
      {phase.kind === 'loading' ? <p>Loading…</p> : null}
      {downloadProblem ? (
        <p class="error" role="alert">
          {downloadProblem}
        </p>
      ) : null}
      {phase.kind === 'ready' ? (
        <ReportSections
          reports={phase.reports}
          download={(name) => download(name, phase.filter)}
          moreAtRisk={() => moreAtRisk(phase.filter, phase.reports)}
        />
      ) : null}
    </section>
  );
}

function Report(props: {
  id: string;
  title: string;
  onDownload: () => void;
  chart?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="report" id={props.id} aria-labelledby={`${props.id}-title`}>
      <div class="report-head">
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        <button type="button" class="link" onClick={props.onDownload}>
          Download CSV<span class="visually-hidden"> of {props.title}</span>
        </button>
      </div>
      <div class="report-body">
        {props.chart ? <div class="report-chart">{props.chart}</div> : null}
        <div class="report-table">{props.children}</div>
      </div>
    </section>
  );
}

const Empty = ({ cols, text }: { cols: number; text: string }) => (
  <tr>
    <td colSpan={cols}>{text}</td>
  </tr>
);

function ReportSections({
  reports: r,
  download,
  moreAtRisk,
}: {
  reports: Reports;
  download: (name: keyof Reports) => Promise<void>;
  moreAtRisk: () => Promise<void>;
}) {
  const tiers = r.workload.rows.filter((w) => w.kind === 'tier');
  return (
    <>
      <Report
        id="report-sla"
        title={`SLA compliance by ${r.sla.groupBy}, ${r.sla.from} to ${r.sla.to}`}
        onDownload={() => download('sla')}
        chart={
          r.sla.rows.length ? (
            <BarChart
              title={`Share within target by ${r.sla.groupBy}: first responses and resolutions`}
              series={[
                { name: 'First response', tone: 0 },
                { name: 'Resolution', tone: 1 },
              ]}
              groups={r.sla.rows.map((row) => ({
                label: groupLabel(r.sla.groupBy, row.group),
                values: [row.firstResponseCompliance, row.resolutionCompliance],
              }))}
              max={1}
              format={percent}
            />
          ) : null
        }
      >
        <table class="figures">
          <caption class="visually-hidden">SLA compliance by {r.sla.groupBy}</caption>
          <thead>
            <tr>
              <th scope="col">{r.sla.groupBy}</th>
              <th scope="col">First responses in time</th>
              <th scope="col">Median first response</th>
              <th scope="col">Resolutions in time</th>
              <th scope="col">Median resolution</th>
              <th scope="col">Breaches</th>
            </tr>
          </thead>
          <tbody>
            {r.sla.rows.length === 0 ? <Empty cols={6} text="No activity in this range." /> : null}
            {r.sla.rows.map((row) => (
              <tr key={row.group}>
                <th scope="row">{groupLabel(r.sla.groupBy, row.group)}</th>
                <td>
                  {row.firstResponsesMet} / {row.firstResponses}
                  {row.firstResponseCompliance === null ? '' : ` (${percent(row.firstResponseCompliance)})`}
                </td>
                <td>{duration(row.medianFirstResponseSeconds)}</td>
                <td>
                  {row.resolutionsMet} / {row.resolutions}
                  {row.resolutionCompliance === null ? '' : ` (${percent(row.resolutionCompliance)})`}
                </td>
                <td>{duration(row.medianResolutionSeconds)}</td>
                <td>{row.breaches}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Report>

      <Report
        id="report-csat"
        title={`Satisfaction: ${r.csat.csat === null ? 'no answers' : percent(r.csat.csat)} (${r.csat.satisfied} satisfied, ${r.csat.unsatisfied} not)`}
        onDownload={() => download('csat')}
        chart={
          r.csat.rows.length ? (
            <BarChart
              title="Share of satisfied customers per week"
              series={[{ name: 'Satisfied', tone: 0 }]}
              groups={r.csat.rows.map((w) => ({ label: `week ${w.week}`, values: [w.csat] }))}
              max={1}
              format={percent}
            />
          ) : null
        }
      >
        <table class="figures">
          <caption class="visually-hidden">Satisfaction per week</caption>
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col">Satisfied</th>
              <th scope="col">Unsatisfied</th>
              <th scope="col">Satisfaction</th>
            </tr>
          </thead>
          <tbody>
            {r.csat.rows.length === 0 ? <Empty cols={4} text="No answers in this range." /> : null}
            {r.csat.rows.map((w) => (
              <tr key={w.week}>
                <th scope="row">{w.week}</th>
                <td>{w.satisfied}</td>
                <td>{w.unsatisfied}</td>
                <td>{w.csat === null ? '—' : percent(w.csat)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Report>

      <Report
        id="report-recurring"
        title={`Recurring causes, ${r.recurring.weeks.length} weeks from ${r.recurring.weeks[0] ?? ''}`}
        onDownload={() => download('recurring')}
      >
        <table class="figures">
          <caption class="visually-hidden">Resolutions by category and root cause per week</caption>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Root cause</th>
              <th scope="col">Per week</th>
              <th scope="col">Total</th>
              <th scope="col">Last week (usual)</th>
              <th scope="col">Spike</th>
            </tr>
          </thead>
          <tbody>
            {r.recurring.rows.length === 0 ? <Empty cols={6} text="No resolutions in these weeks." /> : null}
            {r.recurring.rows.map((row) => (
              <tr key={`${row.category}#${row.rootCause}`}>
                <th scope="row">{row.category.replaceAll('_', ' ')}</th>
                <td>{row.rootCause.replaceAll('_', ' ')}</td>
                <td>
                  <Sparkline
                    title={row.weeks.map((w) => `${w.week}: ${w.resolutions}`).join(', ')}
                    values={row.weeks.map((w) => w.resolutions)}
                    stressLast={row.spike}
                  />
                </td>
                <td>{row.total}</td>
                <td>
                  {row.lastWeek} ({row.baseline})
                </td>
                <td>{row.spike ? <strong class="flag">spike</strong> : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Report>

      <Report
        id="report-workload"
        title="Workload"
        onDownload={() => download('workload')}
        chart={
          tiers.length ? (
            <BarChart
              title="Open complaints per tier"
              series={[{ name: 'Open', tone: 0 }]}
              groups={tiers.map((t) => ({ label: `tier ${t.id}`, values: [t.open ?? 0] }))}
              max={Math.max(1, ...tiers.map((t) => t.open ?? 0))}
              format={String}
            />
          ) : null
        }
      >
        <table class="figures">
          <caption class="visually-hidden">Open complaints, resolutions and handling time</caption>
          <thead>
            <tr>
              <th scope="col">Tier or agent</th>
              <th scope="col">Open</th>
              <th scope="col">Resolved</th>
              <th scope="col">Average handling</th>
            </tr>
          </thead>
          <tbody>
            {r.workload.rows.length === 0 ? <Empty cols={4} text="Nothing counted yet." /> : null}
            {r.workload.rows.map((w) => (
              <tr key={`${w.kind}#${w.id}`}>
                <th scope="row">{w.kind === 'tier' ? `tier ${w.id}` : w.id}</th>
                <td>{w.open ?? '—'}</td>
                <td>{w.resolved}</td>
                <td>{duration(w.averageHandlingSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Report>

      <Report
        id="report-at-risk"
        title={`Customers at risk, weeks of ${r.atRisk.from} to ${r.atRisk.to}`}
        onDownload={() => download('atRisk')}
      >
        <table class="figures">
          <caption class="visually-hidden">
            Customers at risk per week, newest first, why, and their complaints
          </caption>
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col">Customer</th>
              <th scope="col">Why</th>
              <th scope="col">Complaints</th>
            </tr>
          </thead>
          <tbody>
            {r.atRisk.rows.length === 0 ? (
              <Empty cols={4} text="No customer was at risk in these weeks." />
            ) : null}
            {r.atRisk.rows.map((c) => (
              <tr key={`${c.week} ${c.customerId}`}>
                <td>{c.week}</td>
                <th scope="row">
                  <Untrusted text={c.customerId} />
                </th>
                <td>{c.reasons.map((reason) => reason.replaceAll('_', ' ')).join(', ')}</td>
                <td>
                  {c.complaints.map((id) => (
                    <a key={id} href={`/complaints/${id}`} onClick={onLinkClick} class="id-link">
                      {id}
                    </a>
                  ))}
                  {c.unlistedFlags > 0 ? ` and ${c.unlistedFlags} more flags` : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {r.atRisk.cursor ? (
          <button type="button" class="link" onClick={moreAtRisk}>
            More customers at risk
          </button>
        ) : null}
      </Report>
    </>
  );
}
