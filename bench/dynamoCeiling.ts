import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoComplaintStore } from '../functions/adapters/complaintStore';
import { startDynamoDbLocal } from '../scripts/local/dynamoDbLocal';
import { localAwsConfig } from '../scripts/local/localAws';
import type { CpuSnapshot } from './processCpu';
import type { Figure } from './report';
import type { ReplayResult } from './requestReplay';

/** The 512-byte attribute of every benchmark write. */
export const payload = { S: 'x'.repeat(512) };

/** Runs `op(0..count-1)` with `concurrency` in flight; answers operations per second. */
export async function rate(count: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await op(i);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * Raw DynamoDB Local write rates on the stack's own (on-disk) database, on the same cores as the
 * system under test: the ceiling any intake figure should be read against. A state change is one
 * TransactWriteItems of the complaint and its timeline entries, hence the 3-item transaction.
 */
export async function measurePutItemCeiling(
  endpoint: string,
  tableName: string,
  count = 2000,
): Promise<Figure[]> {
  const client = new DynamoDBClient(localAwsConfig(endpoint));
  const put = (i: number) =>
    client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: `BENCH#${i}` }, SK: { S: 'BENCH' }, payload },
      }),
    );
  // A JVM interprets code until it has run it often enough to compile it: without a warm-up a small
  // run measures the interpreter (seen here: 14 puts/s over 100 puts, 127/s over 2,000).
  await rate(1000, 16, (i) => put(2 * count + i));
  const sequential = await rate(count, 1, put);
  const concurrent = await rate(count, 16, (i) => put(count + i));
  const transactions = Math.max(1, Math.round(count / 3));
  const transact = await rate(transactions, 1, (i) =>
    client.send(
      new TransactWriteItemsCommand({
        TransactItems: ['META', 'TL#1', 'TL#2'].map((sk) => ({
          Put: { TableName: tableName, Item: { PK: { S: `BENCHTX#${i}` }, SK: { S: sk }, payload } },
        })),
      }),
    ),
  );
  client.destroy();
  const figure = (metric: string, value: number, conditions: string): Figure => ({
    benchmark: 'DynamoDB Local ceiling',
    metric,
    value,
    unit: 'ops/s',
    conditions,
  });
  return [
    figure('PutItem/s', sequential, `${count} sequential puts, 512 B, on disk`),
    figure('PutItem/s', concurrent, `${count} puts, 16 in flight, 512 B, on disk`),
    figure('TransactWriteItems/s', transact, `${transactions} sequential 3-item transactions, on disk`),
  ];
}

/** DynamoDB Local's start: spawning the JVM until the first answered ListTables, in memory and on disk. */
export async function measureDynamoDbLocalStart(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'complaints-ddb-start-'));
  const figures: Figure[] = [];
  try {
    for (const [mode, path] of [
      ['in memory', undefined],
      ['on disk', dir],
    ] as const) {
      const server = await startDynamoDbLocal({ host: '127.0.0.1', port: 0, path });
      await server.close();
      figures.push({
        benchmark: 'DynamoDB Local start',
        metric: 'start',
        value: server.startMs,
        unit: 'ms',
        conditions: `JVM spawned to first ListTables, ${mode}`,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/**
 * Raw DynamoDB Local rate of the query behind the queue route (the repository's tier-1 queue page,
 * sequential, no API in between): the ceiling the queue route's throughput should be read against.
 */
export async function measureQueueQueryCeiling(
  endpoint: string,
  tableName: string,
  pageSize: number,
  count = 300,
): Promise<Figure[]> {
  const store = new DynamoComplaintStore(tableName, new DynamoDBClient(localAwsConfig(endpoint)));
  // Warm the JVM's query path first (as the PutItem ceiling does): the seeding before this ran writes only.
  for (let i = 0; i < 100; i++) await store.queue('tier1', { limit: pageSize });
  const started = performance.now();
  for (let i = 0; i < count; i++) await store.queue('tier1', { limit: pageSize });
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      benchmark: 'DynamoDB Local ceiling',
      metric: 'Query/s',
      value: count / seconds,
      unit: 'ops/s',
      conditions: `${count} sequential queries of one ${pageSize}-item queue page`,
    },
  ];
}

/**
 * The emulator's raw request rate at `concurrency` requests in flight (512 B PutItem on the stack's own
 * table): divided by the requests a complaint costs, it is the most the system could do on this
 * emulator at that concurrency in this run.
 */
export async function measureRequestRate(
  endpoint: string,
  tableName: string,
  concurrency: number,
  count = 1000,
): Promise<number> {
  const client = new DynamoDBClient(localAwsConfig(endpoint));
  const runId = Date.now().toString(36);
  const put = (i: number) =>
    client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: `BENCHRATE#${runId}#${i}` }, SK: { S: 'BENCH' }, payload },
      }),
    );
  await rate(Math.min(500, count), concurrency, (i) => put(count + i));
  const measured = await rate(count, concurrency, put);
  client.destroy();
  return measured;
}

/**
 * A local throughput beside its implied ceiling (the emulator's raw request rate at the same
 * concurrency, measured in the same run, divided by the requests each unit costs) and the share of it
 * reached.
 */
export function withImpliedCeiling(
  measured: Figure,
  rawRequestRate: number,
  requestsPerUnit: number,
  concurrency: number,
): Figure[] {
  const ceiling = rawRequestRate / requestsPerUnit;
  const basis = `${rawRequestRate.toFixed(0)} raw req/s at ${concurrency} in flight / ${requestsPerUnit.toFixed(1)} requests each`;
  return [
    measured,
    { ...measured, metric: `implied ceiling of: ${measured.metric}`, value: ceiling, conditions: basis },
    {
      ...measured,
      metric: `share of implied ceiling`,
      value: (measured.value / ceiling) * 100,
      unit: '%',
      conditions: basis,
    },
  ];
}

/**
 * A local throughput beside the ceiling of its own request mix: the rate at which DynamoDB Local served
 * the run's recorded requests, replayed without the stack at the same concurrency
 * (bench/requestReplay.ts), divided by the requests each unit costs; and the share of it reached.
 */
export function withReplayedCeiling(
  measured: Figure,
  replay: ReplayResult,
  requestsPerUnit: number,
  run: { inFlight: number; jvmCpuPerRequest: number; jvmCompilingPerRequest: number },
): Figure[] {
  const ceiling = replay.rate / requestsPerUnit;
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ') || 'none';
  const perRequest = (ms: number) => (ms / replay.requests).toFixed(1);
  const jvmCpu = `DynamoDB Local's CPU per request ${perRequest(replay.jvmCpuMs)} ms, ${perRequest(replay.jvmCompilingMs)} of it JIT compiling (in the run: ${run.jvmCpuPerRequest.toFixed(1)} ms, ${run.jvmCompilingPerRequest.toFixed(1)} compiling)`;
  // A replay that DynamoDB Local refused more often than the run, or that cost it much more CPU per
  // request, did not ask it for the same work (it overlapped writes to one item that the run did not).
  const refusals = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const faithful =
    refusals(replay.refused) <= refusals(replay.refusedInRun) + replay.requests / 100 &&
    replay.jvmCpuMs / replay.requests <= 1.5 * run.jvmCpuPerRequest;
  const replays = replay.rates
    ? ` (median of ${replay.rates.length} replays: ${replay.rates.map((r) => r.toFixed(0)).join(', ')})`
    : '';
  const basis = `${faithful ? '' : 'NOT FAITHFUL (more refusals or JVM CPU per request than the run): '}${replay.rate.toFixed(0)} replayed req/s${replays} at ${replay.concurrency} in flight / ${requestsPerUnit.toFixed(1)} requests each`;
  return [
    {
      ...measured,
      metric: 'replayed request mix',
      value: replay.rate,
      unit: 'req/s',
      conditions: `the run's ${replay.requests} requests without the stack, at most ${replay.concurrency} in flight (mean ${replay.meanInFlight.toFixed(1)}; the run's mean at the emulator ${run.inFlight.toFixed(1)}); ${replay.ids} complaint ids rewritten, ${replay.seeded} shared items copied, ${replay.sharedQueries} queries of shared partitions; refused: ${list(replay.refused)} (in the run: ${list(replay.refusedInRun)}); ${jvmCpu}; load average ${loadavg()[0]?.toFixed(1)}`,
    },
    { ...measured, metric: `replayed-mix ceiling of: ${measured.metric}`, value: ceiling, conditions: basis },
    {
      ...measured,
      metric: 'share of replayed-mix ceiling',
      value: (measured.value / ceiling) * 100,
      unit: '%',
      conditions: basis,
    },
  ];
}

/**
 * CPU time per unit of a run: the process running the stack (with the load driver; the counting proxy's
 * thread apart) and DynamoDB Local's JVM, beside the wall time per unit. On a machine where both share the
 * cores, the side whose CPU per unit is nearer the wall time per unit × cores is the one that bounds.
 */
export function cpuPerComplaint(
  benchmark: string,
  cpu: CpuSnapshot,
  seconds: number,
  count: number,
): Figure[] {
  const conditions = `${count} complaints in ${seconds.toFixed(0)} s (${((seconds * 1000) / count).toFixed(0)} ms wall each), ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`;
  return [
    {
      benchmark,
      metric: 'CPU per complaint: the stack process',
      value: cpu.process / count,
      unit: 'ms',
      conditions: `${conditions}; the process also runs the load driver, not the counting proxy (its own thread, below)`,
    },
    {
      benchmark,
      metric: 'CPU per complaint: the counting proxy (bench only)',
      value: cpu.apart / count,
      unit: 'ms',
      conditions: `${conditions}; a thread of the stack process, counted apart from it`,
    },
    {
      benchmark,
      metric: 'CPU per complaint: DynamoDB Local',
      value: cpu.jvm / count,
      unit: 'ms',
      conditions: `${conditions}; ${(cpu.jvmCompiling / count).toFixed(1)} ms of it its JIT compiler threads`,
    },
  ];
}
