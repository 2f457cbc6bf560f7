import type { APIGatewayProxyEventV2WithJWTAuthorizer, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReportStore } from '../../functions/adapters/reportStore';
import type { Deps } from '../../functions/application/deps';
import { atRiskReport, projectEvents } from '../../functions/application/insights/reports';
import { type DomainEvent, parseDomainEvent } from '../../functions/core/events/domainEvents';
import { atRiskListedComplaints } from '../../functions/core/reports/projection';
import { createHandler as createApi } from '../../functions/handlers/api';
import { createProjector } from '../../functions/handlers/projectReports';
import { startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';
import { testSettings } from '../support/settings';

let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let reports: DynamoReportStore;

beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  reports = new DynamoReportStore('Complaints', table.client);
});
afterAll(() => table.close());

const now = new Date('2026-11-30T12:00:00Z');

/** Counts one event as the projector does (a batch of one): whether it was counted now. */
async function projectEvent(event: DomainEvent): Promise<boolean> {
  const [outcome] = await projectEvents({ reports }, [event], now);
  if (!outcome || 'error' in outcome) throw outcome?.error;
  return outcome.counted;
}

/** A reopening (which flags its customer at risk) of complaint `n`, by `customer`, at `at`. */
function reopened(
  n: number,
  customer: string,
  at: string,
  eventId = `${customer}-c${n}-reopened`,
): DomainEvent {
  return parseDomainEvent({
    eventId,
    type: 'ComplaintReopened',
    schemaVersion: 1,
    occurredAt: at,
    complaintId: `c${String(n).padStart(4, '0')}`,
    complaintVersion: 5,
    customerId: customer,
    tier: 1,
    priority: 'normal',
    openedAt: '2026-11-01T09:00:00.000Z',
    actor: { kind: 'customer' },
    data: { via: 'customer_mail', wasClosed: true, fromPriority: 'normal', toPriority: 'high' },
  });
}

describe('the at-risk counters (DynamoDB Local)', () => {
  it('list a customer-week’s first complaints and count the flags beyond them, each event once', async () => {
    const at = '2026-11-24T10:00:00.000Z';
    const extra = 30;
    const events = Array.from({ length: atRiskListedComplaints + extra }, (_, n) =>
      reopened(n, 'cus-loop', at),
    );
    for (const e of events) await expect(projectEvent(e)).resolves.toBe(true);
    // Redelivered (the bus delivers at least once), in parallel: counted before, nothing added.
    const again = await Promise.all(events.slice(90, 110).map((e) => projectEvent(e)));
    expect(again.every((counted) => counted === false)).toBe(true);
    // Another event of a listed complaint once the list is full: the complaint is listed already.
    await projectEvent(reopened(3, 'cus-loop', at, 'cus-loop-c3-again'));

    const report = await atRiskReport({ reports }, { from: '2026-11-24', to: '2026-11-30', limit: 10 });
    expect(report.rows).toEqual([
      expect.objectContaining({ week: '2026-11-23', customerId: 'cus-loop', unlistedFlags: extra }),
    ]);
    const [row] = report.rows;
    expect(row?.complaints).toHaveLength(atRiskListedComplaints);
    expect(row?.complaints).toEqual(
      events
        .slice(0, atRiskListedComplaints)
        .map((e) => e.complaintId)
        .sort(),
    );
    expect(row?.reasons).toEqual(['reopened']);
  });

  it('read the weeks of the range newest first, a page at a time, and nothing outside it', async () => {
    const weeks = ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16'];
    for (const [w, week] of weeks.entries()) {
      for (let c = 0; c < 3; c++) {
        await projectEvent(reopened(1000 + w * 10 + c, `cus-${c}`, `${week}T08:00:00.000Z`));
      }
    }
    const rows = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await atRiskReport(
        { reports },
        { from: '2026-11-01', to: '2026-11-22', limit: 4, ...(cursor ? { cursor } : {}) },
      );
      rows.push(...page.rows);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    // 1 Nov is a Sunday: its ISO week (from 26 Oct) overlaps the range. 23 Nov's week does not.
    expect(rows.map((r) => `${r.week} ${r.customerId}`)).toEqual(
      [...weeks].reverse().flatMap((week) => ['cus-2', 'cus-1', 'cus-0'].map((c) => `${week} ${c}`)),
    );
    expect(pages).toBeGreaterThanOrEqual(3);
  });
});

describe('the report projector’s batches (DynamoDB Local)', () => {
  const record = (event: DomainEvent | string, n: number) => ({
    messageId: `m-${n}`,
    body: typeof event === 'string' ? event : JSON.stringify({ 'detail-type': event.type, detail: event }),
  });
  const project = (records: { messageId: string; body: string }[]) =>
    createProjector({ reports, clock: () => now, logger: { error: () => undefined } })({
      Records: records,
    } as unknown as SQSEvent);
  const figures = async (report: string, key: string) =>
    (await reports.counters(report)).find((c) => c.key === key)?.figures ?? {};

  it('count each event once as one by one would, and name the records that failed', async () => {
    const week = '2026-12-08T10:00:00.000Z';
    // 150 customers reopening once (their at-risk item and the tier's workload), and one customer
    // reopening three complaints: its listed set never shares a transaction.
    const events = [
      ...Array.from({ length: 150 }, (_, n) => reopened(5000 + n, `cus-b${n}`, week)),
      ...[1, 2, 3].map((n) => reopened(6000 + n, 'cus-many', week)),
    ];
    const openBefore = Number((await figures('WORKLOAD', 'TIER#1')).open ?? 0);
    const records = events.map(record);
    const out = await project([...records, records[7] as (typeof records)[number], record('not json', 999)]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-999' }]);
    expect(Number((await figures('WORKLOAD', 'TIER#1')).open)).toBe(openBefore + events.length);
    expect(await figures('ATRISK', 'WEEK#2026-12-07#CUSTOMER#cus-b149')).toMatchObject({
      complaints: new Set(['c5149']),
    });
    expect((await figures('ATRISK', 'WEEK#2026-12-07#CUSTOMER#cus-many')).complaints).toEqual(
      new Set(['c6001', 'c6002', 'c6003']),
    );
    // Delivered again (the queue delivers at least once), in another split: nothing added.
    const again = await project([...records].reverse().slice(0, 120));
    expect(again.batchItemFailures).toEqual([]);
    expect(Number((await figures('WORKLOAD', 'TIER#1')).open)).toBe(openBefore + events.length);
  });
});

describe('GET /reports/at-risk', () => {
  const get = async (query: Record<string, string>, accept = 'application/json') => {
    const handle = createApi({
      reports,
      settings: testSettings(),
      clock: () => now,
      signingKey: async () => new Uint8Array(32).fill(7),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    } as unknown as Deps);
    const response = await handle({
      routeKey: 'GET /reports/at-risk',
      rawPath: '/reports/at-risk',
      queryStringParameters: query,
      headers: { accept },
      isBase64Encoded: false,
      requestContext: {
        authorizer: {
          jwt: {
            claims: { sub: 'm-1', token_use: 'access', 'cognito:groups': 'manager', email: 'm@corp.example' },
          },
        },
      },
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer);
    return { ...response, text: String(response.body) };
  };

  it('pages with a cursor bound to its range, in JSON and in CSV (a Link to the next page)', async () => {
    const range = { from: '2026-11-01', to: '2026-11-22' };
    const first = await get({ ...range, limit: '5' });
    expect(first.statusCode).toBe(200);
    const page = JSON.parse(first.text) as { rows: unknown[]; cursor?: string };
    expect(page.rows).toHaveLength(5);
    const cursor = page.cursor as string;
    expect(cursor).toBeTruthy();
    const second = JSON.parse((await get({ ...range, limit: '5', cursor })).text) as { rows: unknown[] };
    expect(second.rows).toHaveLength(5);
    // The same cursor for another range is not this list's: 400, nothing read.
    expect((await get({ from: '2026-10-01', to: '2026-11-22', cursor })).statusCode).toBe(400);

    const csv = await get({ ...range, limit: '5' }, 'text/csv');
    expect(csv.headers?.['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('week,customerId,reasons,complaints,unlistedFlags');
    const link = String(csv.headers?.link);
    expect(link).toMatch(
      /^<\/reports\/at-risk\?from=2026-11-01&to=2026-11-22&limit=5&cursor=[^>]+>; rel="next"$/,
    );
    const last = await get({ ...range, limit: '100' }, 'text/csv');
    expect(last.headers?.link).toBeUndefined();
    // The Accept header by its rules: media types in any case, q-values, JSON when CSV is refused.
    for (const [accept, type] of [
      ['TEXT/CSV', 'text/csv'],
      ['application/json;q=0.1, text/csv', 'text/csv'],
      ['text/csv;q=0, application/json', 'application/json'],
      ['application/json, text/csv', 'application/json'],
      ['*/*', 'application/json'],
      ['text/html', 'application/json'],
    ]) {
      const answer = await get(range, accept);
      expect(String(answer.headers?.['content-type']), accept).toContain(type);
    }
    // A range without rows: the header alone, so a spreadsheet still names the columns.
    const empty = await get({ from: '2020-01-01', to: '2020-01-31' }, 'text/csv');
    expect(empty.text).toBe('week,customerId,reasons,complaints,unlistedFlags\r\n');
  });
});
