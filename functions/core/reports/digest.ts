import type { CsatRow, RecurringRow, SlaRow } from './reports';

/** What the weekly digest reports, read from the report counters. */
export interface DigestFigures {
  /** The Monday of the week the digest covers, and the weeks of its trend (oldest first). */
  week: string;
  weeks: string[];
  recurring: RecurringRow[];
  /** SLA by tier over the digest's week, and over the week before (for the trend). */
  sla: SlaRow[];
  slaWeekBefore: SlaRow[];
  /** Distinct customers flagged at risk in the digest's week. */
  atRiskCustomers: number;
  csat: CsatRow[];
}

export interface DigestMail {
  subject: string;
  text: string;
  html: string;
}

const colours = ['#2563eb', '#f97316', '#16a34a'];
const percent = (r: number | null) => (r === null ? 'n/a' : `${Math.round(r * 1000) / 10} %`);

const escapeXml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Compliance over all groups of an SLA report: met over counted. */
function compliance(rows: readonly SlaRow[], met: 'resolutionsMet' | 'firstResponsesMet') {
  const total = rows.reduce((a, r) => a + (met === 'resolutionsMet' ? r.resolutions : r.firstResponses), 0);
  const done = rows.reduce((a, r) => a + r[met], 0);
  return total === 0 ? null : done / total;
}

const trendOf = (now: number | null, before: number | null) =>
  now === null || before === null ? '' : now > before ? ' ▲' : now < before ? ' ▼' : ' ►';

/** A grouped bar chart (SVG) of the weekly resolutions of the top issues: readable at 560 px wide. */
export function recurringChart(rows: readonly RecurringRow[], weeks: readonly string[]): string {
  const top = rows.slice(0, 3);
  const width = 560;
  const height = 220;
  const left = 36;
  const bottom = 40;
  const plotWidth = width - left - 10;
  const plotHeight = height - bottom - 30;
  const max = Math.max(1, ...top.flatMap((r) => r.weeks.map((w) => w.resolutions)));
  const slot = plotWidth / Math.max(1, weeks.length);
  const bar = Math.max(2, (slot - 8) / Math.max(1, top.length));
  const y = (n: number) => 20 + plotHeight - (n / max) * plotHeight;
  const parts: string[] = [];
  for (const tick of [0, Math.ceil(max / 2), max]) {
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${y(tick) + 4}" font-size="11" text-anchor="end" fill="#6b7280">${tick}</text>`,
    );
  }
  weeks.forEach((week, i) => {
    const x0 = left + i * slot + 4;
    top.forEach((row, k) => {
      const n = row.weeks[i]?.resolutions ?? 0;
      parts.push(
        `<rect x="${(x0 + k * bar).toFixed(1)}" y="${y(n).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${(y(0) - y(n)).toFixed(1)}" fill="${colours[k]}"/>`,
      );
    });
    parts.push(
      `<text x="${(x0 + (slot - 8) / 2).toFixed(1)}" y="${height - bottom + 16}" font-size="10" text-anchor="middle" fill="#6b7280">${week.slice(5)}</text>`,
    );
  });
  top.forEach((row, k) => {
    const x = left + k * 180;
    parts.push(
      `<rect x="${x}" y="${height - 14}" width="10" height="10" fill="${colours[k]}"/>`,
      `<text x="${x + 14}" y="${height - 5}" font-size="11" fill="#111827">${escapeXml(`${row.category} / ${row.rootCause}`)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Resolutions per week of the top recurring issues">${parts.join('')}</svg>`;
}

/**
 * The weekly insights digest for the product and business teams: top recurring issues with their root
 * causes and trend (and a chart of them), SLA compliance with its trend, the number of customers at
 * risk and CSAT. Ids and figures only: no customer data.
 */
export function renderDigest(f: DigestFigures): DigestMail {
  const resolution = compliance(f.sla, 'resolutionsMet');
  const response = compliance(f.sla, 'firstResponsesMet');
  const resolutionBefore = compliance(f.slaWeekBefore, 'resolutionsMet');
  const breaches = f.sla.reduce((a, r) => a + r.breaches, 0);
  const csatWeek = f.csat.find((r) => r.week === f.week);
  const satisfied = f.csat.reduce((a, r) => a + r.satisfied, 0);
  const unsatisfied = f.csat.reduce((a, r) => a + r.unsatisfied, 0);
  const csatTrend = satisfied + unsatisfied === 0 ? null : satisfied / (satisfied + unsatisfied);
  const top = f.recurring.slice(0, 5);
  const issueLine = (r: RecurringRow) =>
    `${r.category} / ${r.rootCause}: ${r.lastWeek} this week (baseline ${r.baseline})${r.spike ? ' SPIKE' : ''}`;
  const subject = `Complaints insights, week of ${f.week}`;
  const text = [
    subject,
    '',
    'Top recurring issues (resolutions by category / root cause):',
    ...(top.length ? top.map((r) => `- ${issueLine(r)}`) : ['- none this period']),
    '',
    `SLA: resolutions within target ${percent(resolution)}${trendOf(resolution, resolutionBefore)} (week before ${percent(resolutionBefore)}), first responses within target ${percent(response)}, ${breaches} breaches`,
    `Customers flagged at risk: ${f.atRiskCustomers}`,
    `CSAT: ${percent(csatWeek?.csat ?? null)} this week, ${percent(csatTrend)} over ${f.weeks.length} weeks`,
  ].join('\n');
  const cell = 'style="padding:4px 8px;border-bottom:1px solid #e5e7eb"';
  const rows = top
    .map(
      (r) =>
        `<tr><td ${cell}>${escapeXml(r.category)}</td><td ${cell}>${escapeXml(r.rootCause)}</td><td ${cell} align="right">${r.lastWeek}</td><td ${cell} align="right">${r.baseline}</td><td ${cell}>${r.spike ? '<b style="color:#dc2626">spike</b>' : trendOf(r.lastWeek, r.baseline).trim()}</td></tr>`,
    )
    .join('');
  const figure = (label: string, value: string) =>
    `<td style="padding:8px 16px 8px 0"><div style="font-size:12px;color:#6b7280">${label}</div><div style="font-size:22px;font-weight:600">${value}</div></td>`;
  const html = `<!doctype html><html lang="en"><body style="font-family:Arial,Helvetica,sans-serif;color:#111827;max-width:600px">
<h2 style="margin-bottom:4px">${escapeXml(subject)}</h2>
<table><tr>${figure('Resolved within SLA', `${percent(resolution)}${trendOf(resolution, resolutionBefore)}`)}${figure('First response within SLA', percent(response))}${figure('SLA breaches', String(breaches))}${figure('Customers flagged at risk', String(f.atRiskCustomers))}${figure('CSAT this week', percent(csatWeek?.csat ?? null))}</tr></table>
<h3>Top recurring issues</h3>
${recurringChart(f.recurring, f.weeks)}
<table style="border-collapse:collapse;font-size:13px"><tr><th ${cell} align="left">Category</th><th ${cell} align="left">Root cause</th><th ${cell}>This week</th><th ${cell}>Baseline</th><th ${cell}>Trend</th></tr>${rows || `<tr><td ${cell} colspan="5">No resolutions in this period.</td></tr>`}</table>
<p style="font-size:12px;color:#6b7280">CSAT over ${f.weeks.length} weeks: ${percent(csatTrend)} (${satisfied} satisfied, ${unsatisfied} unsatisfied). Figures from the complaint events; details in the manager reports (GET /reports/…).</p>
</body></html>`;
  return { subject, text, html };
}
