import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DynamoComplaintStore } from '../functions/adapters/complaintStore';
import type { Complaint } from '../functions/core/complaint';
import type { BusEvent } from '../scripts/local/eventBus/eventLog';
import type { LocalStack } from '../scripts/local/localStack';
import { api, mailbox, sendRawMail, waitFor } from '../scripts/local/localStackClient';
import { awsListPrices, type ComplaintUsage, complaintCost, sqsRequests } from './costModel';
import { type DynamoDbUsage, type TracedRequest, totalRequests } from './dynamoDbCounter';
import type { Figure } from './report';
import { progress } from './suite';
import type { UsageMeter, UsageWindow } from './usageMeter';

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** Billed state transitions of an execution: every state entered (AWS counts each step executed). */
export async function stateTransitions(sfn: SFNClient, executionArn: string): Promise<number> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.filter((e) => e.type?.endsWith('StateEntered')).length;
}

/** Per complaint: the window's usage divided by the number of complaints. */
function perComplaint(window: UsageWindow, count: number): UsageWindow {
  const requests = Object.fromEntries(
    Object.entries(window.dynamoDb.requests).map(([op, n]) => [op, n / count]),
  );
  const lambda = Object.fromEntries(
    Object.entries(window.lambda).map(([fn, u]) => [fn, { ...u, invocations: u.invocations / count }]),
  );
  return {
    dynamoDb: {
      requests,
      readUnits: window.dynamoDb.readUnits / count,
      writeUnits: window.dynamoDb.writeUnits / count,
    },
    lambda,
  };
}

const byOperation = (u: DynamoDbUsage) =>
  Object.entries(u.requests)
    .sort(([, a], [, b]) => b - a)
    .map(([op, n]) => `${Number(n.toFixed(1))} ${op}`)
    .join(', ');

/**
 * The breakdown of one complaint's requests: a row per invocation (in the order they first reached
 * the emulator) with each request's operation and the kinds of items it names.
 */
function breakdown(traced: TracedRequest[], firstWait: number): Figure[] {
  const rows = new Map<string, { requests: string[]; beforeFirstWait: boolean }>();
  traced.forEach((r, index) => {
    const row = rows.get(r.caller) ?? { requests: [], beforeFirstWait: index < firstWait };
    rows.set(r.caller, row);
    row.requests.push(r.items ? `${r.operation} (${r.items})` : r.operation);
  });
  return [...rows].map(([caller, row]) => ({
    benchmark: `requests of one complaint, ${row.beforeFirstWait ? 'to' : 'after'} its first wait`,
    metric: caller.replace(/^\d+ /, ''),
    value: row.requests.length,
    unit: 'requests',
    conditions: row.requests.join('; '),
  }));
}

/** What one happy-path complaint costs, counted: requests up to its first wait and through to closed. */
export interface HappyPathUsage {
  toFirstWait: UsageWindow;
  happyPath: UsageWindow;
  usage: ComplaintUsage;
  figures: Figure[];
}

/**
 * Counts what a complaint uses on the happy path, one complaint at a time so that nothing else runs
 * in the window: a customer's mail, the workflow up to its first wait (for an agent), then an agent who
 * opens the queue, reads the complaint and applies an apology, reads it again and records a satisfied
 * follow-up call, until the execution has ended. The benchmark's own polling reads DynamoDB Local
 * directly, past the counter.
 */
export async function measureHappyPathUsage(
  stack: LocalStack,
  meter: UsageMeter,
  count: number,
): Promise<HappyPathUsage> {
  const { endpoints } = stack;
  const tier1 = endpoints.tokens.tier1;
  const raw = new DynamoDBClient({ endpoint: meter.rawDynamoDbEndpoint, ...local });
  const store = new DynamoComplaintStore('Complaints', raw);
  const sfn = new SFNClient({ endpoint: endpoints.stepfunctions.endpoint, ...local });
  const executionArn = (id: string) =>
    `${endpoints.stepfunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
  const runId = Date.now().toString(36);
  const mailsInBytes: number[] = [];
  const firstWait: UsageWindow[] = [];
  let transitions = 0;
  let mailsOut = 0;
  const busEventBytes: number[] = [];
  const windows: UsageWindow[] = [];
  let traced: Figure[] = [];

  const complaint = (id: string, predicate: (c: Complaint) => boolean) =>
    waitFor(
      async () => {
        const c = await store.get(id);
        return c && predicate(c) ? c : undefined;
      },
      `complaint ${id}`,
      60_000,
    );

  for (let i = 0; i < count; i++) {
    progress(`  counting the happy path of complaint ${i + 1}/${count}`);
    const subject = `Usage ${runId}-${i}: the lid is cracked`;
    const from = `usage${i}.${runId}@bench.example`;
    const rawMail = await new MailComposer({
      from,
      to: endpoints.supportAddress,
      subject,
      text: 'Hello,\n\nthe lid of the box I received is cracked. Please help.\n',
    })
      .compile()
      .build();
    mailsInBytes.push(rawMail.length);
    const sentBefore = (await mailbox(endpoints.mailbox.url)).length;
    const eventsBefore = (await busEvents(endpoints.events.endpoint, 0)).next;
    // Nothing of earlier work (a load run's backlog, the domain events it left) in this complaint's window.
    await stack.drainEvents();
    await meter.settled();
    const start = meter.snapshot();
    // The first complaint's requests are recorded one by one: the breakdown per invocation.
    if (i === 0) meter.trace(true);
    await sendRawMail(endpoints, rawMail, { from });
    await stack.drainIntake();
    const id = await waitFor(
      async () => (await store.byCustomer(from)).items[0]?.id,
      `the complaint of ${from}`,
      60_000,
    );
    await complaint(id, (c) => c.waitingFor === 'agent' && c.taskToken !== undefined);
    // The report projector's batch of this complaint's first event, without waiting out its window.
    await stack.drainEvents();
    await meter.settled();
    firstWait.push(meter.since(start));
    const firstWaitAt = meter.traced().length;

    // The agent: queue page, the complaint, the resolution; the complaint again, the follow-up call.
    await api(endpoints, 'GET', '/complaints?limit=50', { token: tier1 });
    const read = await api<{ complaint: Complaint }>(endpoints, 'GET', `/complaints/${id}`, { token: tier1 });
    const resolved = await api(endpoints, 'POST', `/complaints/${id}/resolution`, {
      token: tier1,
      body: {
        type: 'apology',
        summary: 'We are sorry about the lid.',
        rootCause: 'warehouse_error',
        version: read.body.complaint.version,
      },
    });
    if (resolved.status >= 300) throw new Error(`resolution answered ${resolved.status}`);
    await complaint(id, (c) => c.waitingFor === 'follow_up' && c.taskToken !== undefined);
    const again = await api<{ complaint: Complaint }>(endpoints, 'GET', `/complaints/${id}`, {
      token: tier1,
    });
    const called = await api(endpoints, 'POST', `/complaints/${id}/follow-up`, {
      token: tier1,
      body: { outcome: 'satisfied', version: again.body.complaint.version },
    });
    if (called.status >= 300) throw new Error(`follow-up answered ${called.status}`);
    await waitFor(
      async () => {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(id) }));
        return out.status === 'RUNNING' ? undefined : out.status;
      },
      `the execution of ${id} to end`,
      60_000,
    );
    await stack.drainEvents();
    await meter.settled();
    windows.push(meter.since(start));
    if (i === 0) {
      meter.trace(false);
      traced = breakdown(meter.traced(), firstWaitAt);
    }
    transitions += await stateTransitions(sfn, executionArn(id));
    const { events } = await busEvents(endpoints.events.endpoint, eventsBefore);
    for (const e of events) if (e.detail.complaintId === id) busEventBytes.push(putEventsEntryBytes(e));
    mailsOut += (await mailbox(endpoints.mailbox.url)).length - sentBefore;
  }
  raw.destroy();
  sfn.destroy();

  const sum = (ws: UsageWindow[]): UsageWindow => {
    const dynamoDb: DynamoDbUsage = { requests: {}, readUnits: 0, writeUnits: 0 };
    const lambda: UsageWindow['lambda'] = {};
    for (const w of ws) {
      for (const [op, n] of Object.entries(w.dynamoDb.requests))
        dynamoDb.requests[op] = (dynamoDb.requests[op] ?? 0) + n;
      dynamoDb.readUnits += w.dynamoDb.readUnits;
      dynamoDb.writeUnits += w.dynamoDb.writeUnits;
      for (const [fn, u] of Object.entries(w.lambda)) {
        const acc = lambda[fn] ?? { invocations: 0, meanDurationMs: 0, memoryMb: u.memoryMb };
        lambda[fn] = acc;
        const total = acc.invocations * acc.meanDurationMs + u.invocations * u.meanDurationMs;
        acc.invocations += u.invocations;
        acc.meanDurationMs = total / acc.invocations;
      }
    }
    return { dynamoDb, lambda };
  };
  const toFirstWait = perComplaint(sum(firstWait), count);
  const happyPath = perComplaint(sum(windows), count);
  const usage: ComplaintUsage = {
    stateTransitions: transitions / count,
    lambda: happyPath.lambda,
    dynamoDbReadUnits: happyPath.dynamoDb.readUnits,
    dynamoDbWriteUnits: happyPath.dynamoDb.writeUnits,
    mailsInBytes: [mailsInBytes.reduce((a, b) => a + b, 0) / count],
    mailsOut: mailsOut / count,
    mailsOutAttachmentBytes: 0,
    apiRequests: happyPath.lambda.api?.invocations ?? 0,
    // As many events as a complaint put on the bus, each of the mean size.
    busEventBytes: Array.from(
      { length: Math.round(busEventBytes.length / count) },
      () => busEventBytes.reduce((a, b) => a + b, 0) / Math.max(1, busEventBytes.length),
    ),
    projectorBatches: happyPath.lambda.projectReports?.invocations ?? 0,
  };
  const cost = complaintCost(usage);
  const invocations = Object.values(happyPath.lambda).reduce((n, u) => n + u.invocations, 0);
  const conditions = `counted at the emulator, ${count} complaints one at a time`;
  const prices = `AWS list prices ${awsListPrices.region}, ${awsListPrices.checkedOn}`;
  const figures: Figure[] = [
    {
      benchmark: 'request economy',
      metric: 'DynamoDB requests per new complaint, to its first wait',
      value: totalRequests(toFirstWait.dynamoDb),
      unit: 'requests',
      conditions: `${conditions}: ${byOperation(toFirstWait.dynamoDb)}`,
    },
    {
      benchmark: 'request economy',
      metric: 'DynamoDB requests per happy-path complaint',
      value: totalRequests(happyPath.dynamoDb),
      unit: 'requests',
      conditions: `${conditions}, agent reads included: ${byOperation(happyPath.dynamoDb)}`,
    },
    {
      benchmark: 'request economy',
      metric: 'DynamoDB units per happy-path complaint (read / write)',
      value: happyPath.dynamoDb.writeUnits,
      unit: 'WRU',
      conditions: `${Number(happyPath.dynamoDb.readUnits.toFixed(1))} RRU, from ReturnConsumedCapacity`,
    },
    {
      benchmark: 'request economy',
      metric: 'Lambda invocations per happy-path complaint',
      value: invocations,
      unit: 'invocations',
      conditions: Object.entries(happyPath.lambda)
        .map(([fn, u]) => `${fn} ${Number(u.invocations.toFixed(1))}× ${Math.round(u.meanDurationMs)} ms`)
        .join(', '),
    },
    {
      benchmark: 'request economy',
      metric: 'mails per happy-path complaint (in / out)',
      value: usage.mailsOut,
      unit: 'mails out',
      conditions: `1 in, ${Math.round(usage.mailsInBytes[0] ?? 0)} B`,
    },
    {
      benchmark: 'cost model',
      metric: 'USD per resolved complaint',
      value: cost.perComplaint,
      unit: 'USD',
      conditions: prices,
    },
    {
      benchmark: 'cost model',
      metric: 'USD per 1,000 resolved complaints',
      value: cost.perThousand,
      unit: 'USD',
      conditions: prices,
    },
    ...Object.entries(cost.breakdown).map(
      ([service, usd]): Figure => ({
        benchmark: 'cost model',
        metric: `USD per 1,000: ${service}`,
        value: usd * 1000,
        unit: 'USD',
        conditions: costConditions(service as keyof typeof cost.breakdown, usage),
      }),
    ),
    ...traced,
  ];
  return { toFirstWait, happyPath, usage, figures };
}

/** The local bus's log from position `after` on (all of it: a complaint's events are a handful). */
async function busEvents(endpoint: string, after: number): Promise<{ events: BusEvent[]; next: number }> {
  const events: BusEvent[] = [];
  for (let next = after; ; ) {
    const page = (await (await fetch(`${endpoint}/events?after=${next}&limit=1000`)).json()) as {
      events: BusEvent[];
      next: number;
    };
    events.push(...page.events);
    if (page.events.length === 0) return { events, next: page.next };
    next = page.next;
  }
}

/** An event's size as EventBridge bills a `PutEvents` entry: Time (14 bytes), Source, DetailType, Detail, Resources. */
function putEventsEntryBytes(e: BusEvent): number {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  return (
    14 +
    bytes(e.source) +
    bytes(e['detail-type']) +
    bytes(JSON.stringify(e.detail)) +
    e.resources.reduce((n, r) => n + bytes(r), 0)
  );
}

function costConditions(service: string, u: ComplaintUsage): string {
  switch (service) {
    case 'stepFunctions':
      return `${u.stateTransitions} transitions (Standard)`;
    case 'lambda':
      return 'arm64, measured local duration × configured memory';
    case 'dynamoDb':
      return `on demand, ${Number(u.dynamoDbReadUnits.toFixed(1))} RRU + ${Number(u.dynamoDbWriteUnits.toFixed(1))} WRU`;
    case 'ses':
      return `${u.mailsInBytes.length} in (256 KB chunks), ${Number(u.mailsOut.toFixed(1))} out`;
    case 'httpApi':
      return `${u.apiRequests} requests`;
    case 'eventBridge':
      return `${u.busEventBytes.length} domain events put on the bus, ${Math.round(u.busEventBytes[0] ?? 0)} B each`;
    case 'sqs':
      return `${Number(sqsRequests(u).toFixed(1))} requests: the events to the report projector's queue, ${Number(u.projectorBatches.toFixed(1))} batches received and deleted`;
    default:
      return 'SES stores the raw mail, intake reads it';
  }
}
