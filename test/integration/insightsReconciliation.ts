import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { CounterItem, EventUpdates, ReportStore } from '../../functions/adapters/ports';
import {
  atRiskReportSchema,
  csatReportSchema,
  recurringReportSchema,
  slaReportSchema,
  workloadReportSchema,
} from '../../functions/api/responseSchemas';
import { eventOfRecord } from '../../functions/application/insights/publishDomainEvents';
import {
  atRiskReport,
  csatReport,
  projectEvents,
  recurringReport,
  slaReport,
  workloadReport,
} from '../../functions/application/insights/reports';
import type { DomainEvent } from '../../functions/core/events/domainEvents';
import type { CounterUpdate } from '../../functions/core/reports/projection';
import type { LocalStack } from '../../scripts/local/localStack';
import { api } from '../../scripts/local/localStackClient';

/** Report counters in memory: what the reports must say when recounted from every stored change. */
class RecountStore implements ReportStore {
  private readonly items = new Map<string, CounterItem>();

  private async apply(_eventId: string, updates: CounterUpdate[]) {
    for (const u of updates) {
      const key = `${u.partition}\n${u.sort}`;
      const item = this.items.get(key) ?? { key: u.sort, figures: {} };
      for (const [name, n] of Object.entries(u.add ?? {})) {
        item.figures[name] = Number(item.figures[name] ?? 0) + n;
      }
      for (const [name, values] of Object.entries(u.addToSets ?? {})) {
        const set = (item.figures[name] as Set<string> | undefined) ?? new Set<string>();
        const listed = u.listedUpTo?.[name];
        const beyond = listed && values.some((v) => !set.has(v)) && set.size >= listed.limit;
        if (listed && beyond) item.figures[listed.unlisted] = Number(item.figures[listed.unlisted] ?? 0) + 1;
        else item.figures[name] = new Set([...set, ...values]);
      }
      this.items.set(key, item);
    }
    return true;
  }

  async applyAll(events: EventUpdates[]) {
    for (const e of events) await this.apply(e.eventId, e.updates);
    return events.map(() => ({ counted: true }));
  }

  async counterPage(report: string, from: string, to: string, page: { limit: number; cursor?: string }) {
    const all = (await this.counters(report, from, to)).reverse();
    const start = page.cursor ? all.findIndex((i) => i.key < (page.cursor as string)) : 0;
    const items = start === -1 ? [] : all.slice(start, start + page.limit);
    const more = start !== -1 && start + page.limit < all.length;
    return { items, cursor: more ? items.at(-1)?.key : undefined };
  }

  async counters(report: string, from?: string, to?: string) {
    return [...this.items.entries()]
      .filter(([key]) => key.startsWith(`${report}\n`))
      .map(([, item]) => item)
      .filter((item) => from === undefined || to === undefined || (item.key >= from && item.key <= to))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}

/** Every domain event the table's committed changes call for (a full scan of the audit items). */
export async function committedEvents(stack: LocalStack): Promise<DomainEvent[]> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const events: DomainEvent[] = [];
  for await (const page of paginateScan({ client: db }, { TableName: 'Complaints' })) {
    for (const item of page.Items ?? []) {
      const event = eventOfRecord({ sequenceNumber: '', eventName: 'INSERT', newImage: item });
      if (event) events.push(event);
    }
  }
  return events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : 1));
}

/** The events on the local bus's log (its `GET /events`). */
export async function loggedEvents(stack: LocalStack): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${stack.endpoints.events.endpoint}/events?after=${after}&limit=1000`);
    const page = (await res.json()) as { events: { detail: DomainEvent }[]; next: number };
    if (page.events.length === 0) return events;
    events.push(...page.events.map((e) => e.detail));
    after = page.next;
  }
}

const reportPaths = (from: string, to: string) => [
  ...['tier', 'priority', 'category'].map((by) => `/reports/sla?from=${from}&to=${to}&groupBy=${by}`),
  `/reports/recurring?to=${to}&weeks=4`,
  `/reports/at-risk?from=${from}&to=${to}&limit=500`,
  `/reports/csat?from=${from}&to=${to}`,
  '/reports/workload',
];

const documentedReports = {
  '/reports/sla': slaReportSchema,
  '/reports/recurring': recurringReportSchema,
  '/reports/at-risk': atRiskReportSchema,
  '/reports/csat': csatReportSchema,
  '/reports/workload': workloadReportSchema,
};

/** What each report says, through the API (manager token). */
export async function reportsViaApi(stack: LocalStack, from: string, to: string) {
  const out: Record<string, unknown> = {};
  // Signed now: a test on a virtual clock may have outrun the tokens minted at the start.
  const token = await stack.signToken('manager');
  for (const path of reportPaths(from, to)) {
    const res = await api(stack.endpoints, 'GET', path, { token });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    // The answer is what /openapi.json documents (the console's report types come from it).
    documentedReports[path.split('?')[0] as keyof typeof documentedReports].parse(res.body);
    out[path] = res.body;
  }
  return out;
}

/** The same reports recounted in memory from the given events (sets as sorted arrays, as JSON has them). */
export async function reportsRecounted(events: DomainEvent[], from: string, to: string) {
  const deps = { reports: new RecountStore() };
  await projectEvents(deps, events, new Date());
  const [tier, priority, category] = await Promise.all(
    (['tier', 'priority', 'category'] as const).map((groupBy) => slaReport(deps, { from, to, groupBy })),
  );
  const reports = [
    tier,
    priority,
    category,
    await recurringReport(deps, { to, weeks: 4 }),
    await atRiskReport(deps, { from, to, limit: 500 }),
    await csatReport(deps, { from, to }),
    await workloadReport(deps),
  ];
  return Object.fromEntries(
    reportPaths(from, to).map((path, i) => [path, JSON.parse(JSON.stringify(reports[i]))]),
  );
}
