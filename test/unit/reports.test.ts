import { describe, expect, it } from 'vitest';
import type { OutboundMail, ReportStore } from '../../functions/adapters/ports';
import { weeksUpTo } from '../../functions/application/insights/reports';
import { sendWeeklyDigest } from '../../functions/application/insights/weeklyDigest';
import { addToGauge } from '../../functions/core/reports/businessMetrics';
import { renderDigest } from '../../functions/core/reports/digest';
import { bucketOf, durationBuckets, medianOf, weekOf } from '../../functions/core/reports/projection';
import { recurringRows } from '../../functions/core/reports/reports';

describe('report figures', () => {
  it('put durations in histogram buckets and read the median as its bucket edge', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(300)).toBe(0);
    expect(bucketOf(301)).toBe(1);
    expect(bucketOf(10 ** 9)).toBe(durationBuckets.length);
    expect(medianOf([])).toBeNull();
    expect(medianOf([1, 0, 3])).toBe(durationBuckets[2]);
    expect(medianOf([2, 0, 2])).toBe(durationBuckets[0]);
  });

  it('count weeks from their Monday (UTC)', () => {
    expect(weekOf('2026-11-29T23:59:59Z')).toBe('2026-11-23');
    expect(weekOf('2026-11-30T00:00:00Z')).toBe('2026-11-30');
    expect(weeksUpTo('2026-11-29', 3)).toEqual(['2026-11-09', '2026-11-16', '2026-11-23']);
  });

  it('flag a spike: at least three in the last week and twice the weeks before', () => {
    const weeks = ['2026-11-09', '2026-11-16', '2026-11-23'];
    const item = (week: string, pair: string, n: number) => ({
      key: `WEEK#${week}#${pair}`,
      figures: { resolutions: n },
    });
    const rows = recurringRows(
      [
        item('2026-11-09', 'delivery#carrier_delay', 1),
        item('2026-11-16', 'delivery#carrier_delay', 2),
        item('2026-11-23', 'delivery#carrier_delay', 3),
        item('2026-11-09', 'billing#billing_error', 2),
        item('2026-11-23', 'billing#billing_error', 2),
      ],
      weeks,
    );
    expect(rows.map((r) => [r.category, r.total, r.baseline, r.spike])).toEqual([
      ['delivery', 6, 1.5, true],
      ['billing', 4, 1, false],
    ]);
  });

  it('render the digest with its chart and figures, and nothing about any customer', () => {
    const mail = renderDigest({
      week: '2026-11-23',
      weeks: ['2026-11-16', '2026-11-23'],
      recurring: recurringRows(
        [{ key: 'WEEK#2026-11-23#delivery#carrier_delay', figures: { resolutions: 4 } }],
        ['2026-11-16', '2026-11-23'],
      ),
      sla: [],
      slaWeekBefore: [],
      atRiskCustomers: 2,
      csat: [],
    });
    expect(mail.subject).toBe('Complaints insights, week of 2026-11-23');
    expect(mail.html).toContain('<svg');
    expect(mail.text).toContain('delivery / carrier_delay: 4 this week (baseline 0) SPIKE');
    expect(mail.text).toContain('Customers flagged at risk: 2');
    expect(mail.html).not.toMatch(/@/);
  });

  it('measure a queue: its depth and how long its longest-waiting complaint has waited', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const gauge = addToGauge(
      addToGauge(
        { queue: 'tier1', depth: 0, oldestWaitingSeconds: 0 },
        [{ waitingSince: '2026-11-30T11:00:00Z', updatedAt: '2026-11-30T11:30:00Z' }],
        now,
      ),
      [
        { updatedAt: '2026-11-30T09:00:00Z' },
        { waitingSince: '2026-11-30T13:00:00Z', updatedAt: '2026-11-30T13:00:00Z' },
      ],
      now,
    );
    expect(gauge).toEqual({ queue: 'tier1', depth: 3, oldestWaitingSeconds: 3 * 3600 });
  });

  it('mail the digest of the week that ended, read from the counters of its range', async () => {
    const asked: string[] = [];
    const reports: ReportStore = {
      applyAll: async (events) => events.map(() => ({ counted: true })),
      counters: async (report, from, to) => {
        asked.push(`${report} ${from ?? ''}..${to ?? ''}`);
        if (report === 'RECURRING') {
          return [{ key: 'WEEK#2026-11-23#delivery#carrier_delay', figures: { resolutions: 5 } }];
        }
        if (report === 'ATRISK')
          return [
            { key: 'WEEK#2026-11-23#CUSTOMER#cus-1', figures: { reasons: new Set(['reopened']) } },
            { key: 'WEEK#2026-11-23#CUSTOMER#cus-2', figures: { reasons: new Set(['legal_threat']) } },
          ];
        return [];
      },
      counterPage: async () => ({ items: [] }),
    };
    const sent: OutboundMail[] = [];
    const mailer = { send: async (m: OutboundMail) => (sent.push(m), 'ses-1') };
    const ledger = {
      beginOutbound: async () => ({ state: 'acquired' as const, lease: 'lease-1', at: '' }),
      completeOutbound: async () => true,
      abandonOutbound: async () => {},
    };
    const digest = await sendWeeklyDigest(
      { reports, mailer, ledger, sendLeaseSeconds: 45, recipients: ['product@acme.test'] },
      new Date('2026-12-01T07:00:00Z'),
    );
    expect(digest.week).toBe('2026-11-23');
    expect(asked).toContain('SLA#tier#1 DAY#2026-11-23..DAY#2026-11-29');
    expect(asked).toContain('RECURRING WEEK#2026-10-05..WEEK#2026-11-23#~');
    // Only the week that ended: the customers flagged in it.
    expect(asked).toContain('ATRISK WEEK#2026-11-23#..WEEK#2026-11-23#~');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: ['product@acme.test'],
      subject: 'Complaints insights, week of 2026-11-23',
    });
    expect(sent[0]?.text).toContain('delivery / carrier_delay: 5 this week');
    expect(sent[0]?.text).toContain('Customers flagged at risk: 2');
  });
});
