import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoReportStore } from '../../functions/adapters/reportStore';
import { atRiskPage } from '../../functions/api/reportSchemas';
import { atRiskKeys } from '../../functions/application/insights/reports';
import { localAwsConfig } from '../../scripts/local/localAws';
import { measureRoute, settle } from '../apiLatency';
import type { Figure } from '../report';
import { seedReports } from '../reportSeed';
import { progress, restingStack, runSuite, scaled } from '../suite';

/**
 * The manager reports against the number of complaints counted: with the domain events of 10,000 and
 * then 100,000 complaints counted into the report counters by the consumer's own projection and store
 * (bench/reportSeed.ts), each report route at a constant rate, beside the raw DynamoDB Local rate of
 * the counter queries behind them. Every report reads counters bounded by its range (days, weeks,
 * tiers, agents, and for the at-risk report one page of the customers flagged in the weeks of its
 * range), so its time must not grow with the complaints. Sizes and durations scale with BENCH_SCALE.
 */
await runSuite(restingStack, async (stack) => {
  const figures: Figure[] = [];
  const rate = 20;
  const seconds = scaled(10);
  const now = new Date();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const from = day(now.getTime() - 29 * 86_400_000);
  const to = day(now.getTime());
  const api = stack.endpoints.api.url;
  const token = stack.endpoints.tokens.manager;
  const routes: [string, string, number][] = [
    ['GET /reports/sla', `/reports/sla?from=${from}&to=${to}&groupBy=category`, rate],
    ['GET /reports/recurring', `/reports/recurring?to=${to}&weeks=12`, rate],
    ['GET /reports/at-risk', `/reports/at-risk?from=${from}&to=${to}`, rate],
    ['GET /reports/csat', `/reports/csat?from=${from}&to=${to}`, rate],
    ['GET /reports/workload', '/reports/workload', rate],
  ];
  const reports = new DynamoReportStore(
    'Complaints',
    new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
  );
  let counted = 0;
  for (const size of [scaled(10_000), scaled(100_000)]) {
    progress(`counting the events of ${size} complaints into the reports`);
    const started = performance.now();
    const seeded = await seedReports(reports, counted, size, now);
    const took = ((performance.now() - started) / 1000).toFixed(0);
    progress(`  ${seeded.events} events, ${seeded.items} counter items written in ${took} s`);
    counted = size;
    const withSize = (f: Figure) => ({ ...f, conditions: `${f.conditions}, ${size} complaints counted` });
    // Customer-weeks at risk in all, and in the weeks the route's range overlaps.
    const atRisk = (await reports.counters('ATRISK')).length;
    const keys = atRiskKeys({ from, to });
    const inRange = (await reports.counters('ATRISK', keys.from, keys.to)).length;
    figures.push(
      ...(
        await counterQueryCeiling(
          'REPORT#SLA#category#delivery over 30 days',
          async () => (await reports.counters('SLA#category#delivery', `DAY#${from}`, `DAY#${to}`)).length,
        )
      ).map(withSize),
      ...(
        await counterQueryCeiling(
          `a page of REPORT#ATRISK, ${keys.from}..${keys.to}`,
          async () =>
            (
              await reports.counterPage('ATRISK', keys.from, keys.to, { limit: atRiskPage.default })
            ).items.length,
        )
      ).map((f) => ({
        ...withSize(f),
        conditions: `${withSize(f).conditions} (${inRange} customer-weeks at risk in the range, ${atRisk} in all)`,
      })),
    );
    for (const [name, path, perSecond] of routes) {
      await settle(`${api}${path}`, token, 1_000, 20);
      progress(`${name} at ${perSecond} req/s, ${size} complaints counted`);
      figures.push(...(await measureRoute(name, `${api}${path}`, token, perSecond, seconds)).map(withSize));
    }
  }
  return figures;
});

/**
 * The emulator's raw rate of one report's counter query (sequential, no API in between): the route's
 * ceiling. `read` sends the query and answers the items it read.
 */
async function counterQueryCeiling(
  what: string,
  read: () => Promise<number>,
  count = 100,
): Promise<Figure[]> {
  const started = performance.now();
  let items = 0;
  for (let i = 0; i < count; i++) items = await read();
  return [
    {
      benchmark: 'DynamoDB Local ceiling',
      metric: 'report counter Query/s',
      value: count / ((performance.now() - started) / 1000),
      unit: 'ops/s',
      conditions: `${count} sequential queries of ${what} (${items} items)`,
    },
  ];
}
