import type { Mailer, ReportStore } from '../../adapters/ports';
import { type DigestMail, renderDigest } from '../../core/reports/digest';
import { weekOf } from '../../core/reports/projection';
import { atRiskReport, csatReport, recurringReport, slaReport, weeksUpTo } from './reports';

export interface DigestDeps {
  reports: ReportStore;
  mailer: Mailer;
  /** The product and business addresses the digest goes to. */
  recipients: readonly string[];
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The weekly insights digest of the last full ISO week before `now` (a Monday run covers the week that
 * just ended), with an eight-week trend; mailed to the configured addresses. Returns what was sent.
 */
export async function sendWeeklyDigest(deps: DigestDeps, now: Date): Promise<DigestMail & { week: string }> {
  const thisWeek = Date.parse(`${weekOf(now.toISOString())}T00:00:00Z`);
  const week = day(thisWeek - 7 * 86_400_000);
  const weekEnd = day(thisWeek - 86_400_000);
  const weeks = weeksUpTo(weekEnd, 8);
  const [recurring, sla, slaWeekBefore, atRisk, csat] = await Promise.all([
    recurringReport(deps, { to: weekEnd, weeks: 8 }),
    slaReport(deps, { from: week, to: weekEnd, groupBy: 'tier' }),
    slaReport(deps, {
      from: day(thisWeek - 14 * 86_400_000),
      to: day(thisWeek - 8 * 86_400_000),
      groupBy: 'tier',
    }),
    atRiskReport(deps),
    csatReport(deps, { from: weeks[0] as string, to: weekEnd }),
  ]);
  const mail = renderDigest({
    week,
    weeks,
    recurring: recurring.rows,
    sla: sla.rows,
    slaWeekBefore: slaWeekBefore.rows,
    atRiskCustomers: atRisk.rows.length,
    csat: csat.rows,
  });
  await deps.mailer.send({ to: [...deps.recipients], ...mail });
  return { ...mail, week };
}
