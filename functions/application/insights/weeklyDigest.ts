import type { Mailer, MailLedger, ReportStore } from '../../adapters/ports';
import { type DigestMail, renderDigest } from '../../core/reports/digest';
import { weekOf } from '../../core/reports/projection';
import { OutboundMailInFlightError } from '../customerMail';
import { atRiskCustomers, csatReport, recurringReport, slaReport, weeksUpTo } from './reports';

export interface DigestDeps {
  reports: ReportStore;
  mailer: Mailer;
  /** The send-once intents of outbound mail: one per week's digest. */
  ledger: Pick<MailLedger, 'beginOutbound' | 'completeOutbound' | 'abandonOutbound'>;
  /** How long a run holds the digest's send lease (a run killed mid-send is taken over after it). */
  sendLeaseSeconds: number;
  /** The product and business addresses the digest goes to. */
  recipients: readonly string[];
}

/** The send-once id of a week's digest (its intent item is `OUTMAIL#digest-<monday>`). */
export const digestMailId = (week: string) => `digest-${week}`;

/** What a run did: mailed the digest, or found that an earlier run had (its SES MessageId). */
export type DigestRun = DigestMail & {
  week: string;
  status: 'sent' | 'already_sent';
  sesMessageId: string;
};

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The weekly insights digest of the last full ISO week before `now` (a Monday run covers the week that
 * just ended), with an eight-week trend; mailed to the configured addresses once per week, however
 * often it runs: a conditional put of the week's send intent, then the send, then the intent marked
 * sent (the outbound ledger of customer mail). A run that finds the week sent sends nothing; one that
 * finds another run's live lease throws {@link OutboundMailInFlightError} (Scheduler retries it); one
 * that finds the lease of a run killed mid-send expired takes it over and sends. Only a run killed
 * after SES accepted the mail and before the intent was marked sent leaves a duplicate behind (SES has
 * no idempotency key), as for customer mail.
 */
export async function sendWeeklyDigest(deps: DigestDeps, now: Date): Promise<DigestRun> {
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
    atRiskCustomers(deps, { from: week, to: weekEnd }),
    csatReport(deps, { from: weeks[0] as string, to: weekEnd }),
  ]);
  const mail = renderDigest({
    week,
    weeks,
    recurring: recurring.rows,
    sla: sla.rows,
    slaWeekBefore: slaWeekBefore.rows,
    atRiskCustomers: atRisk,
    csat: csat.rows,
  });
  const id = digestMailId(week);
  const intent = await deps.ledger.beginOutbound(id, now, deps.sendLeaseSeconds);
  switch (intent.state) {
    case 'busy':
      throw new OutboundMailInFlightError(`The digest of the week of ${week} is being sent by another run`);
    case 'sent':
      return { ...mail, week, status: 'already_sent', sesMessageId: intent.sesMessageId };
    case 'suppressed':
      // Never recorded for a digest; a hand-made record stops it like a sent one.
      return { ...mail, week, status: 'already_sent', sesMessageId: '' };
  }
  let sesMessageId: string;
  try {
    sesMessageId = await deps.mailer.send({ to: [...deps.recipients], ...mail });
  } catch (error) {
    // Nothing went out: let the next run send at once instead of after the lease.
    await deps.ledger.abandonOutbound(id, intent.lease);
    throw error;
  }
  await deps.ledger.completeOutbound(id, intent.lease, { sesMessageId });
  return { ...mail, week, status: 'sent', sesMessageId };
}
