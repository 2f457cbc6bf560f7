import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../scripts/local/createTable';
import {
  type DynamoDbLocal,
  dynamoDbLocalJvmOptions,
  startDynamoDbLocal,
} from '../scripts/local/dynamoDbLocal';
import { localAwsConfig } from '../scripts/local/localAws';
import { payload, rate } from './dynamoCeiling';
import { type Figure, printReport } from './report';

/**
 * `npm run bench:jvm`: DynamoDB Local under candidate JVM option sets, side by side. Every candidate
 * runs at once (idle while another measures), and the rounds interleave (A B C, B C A, ...) so that
 * the shared machine's load drift falls on every candidate alike; each candidate is also compared with
 * the stack's own options round by round (a paired ratio). In memory (tests, benches) and on disk
 * (`npm start`), the latter seeded once and copied. Env: BENCH_JVM_ROUNDS (5), BENCH_JVM_MODES (memory,disk), BENCH_JVM_CANDIDATES
 * (names, comma-separated), BENCH_JVM_STARTS (3 starts per candidate; 0 skips).
 */
const candidates: { name: string; options: readonly string[] }[] = [
  { name: 'stack', options: dynamoDbLocalJvmOptions },
  // The serial collector alone: the stack's options until they change, a control of the noise (A/A).
  { name: 'serial', options: ['-XX:+UseSerialGC'] },
  { name: 'heap 512m young 320m', options: ['-XX:+UseSerialGC', '-Xms512m', '-Xmx512m', '-Xmn320m'] },
  { name: 'heap 1g pretouch', options: ['-XX:+UseSerialGC', '-Xms1g', '-Xmx1g', '-XX:+AlwaysPreTouch'] },
  { name: 'C1 only', options: ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] },
  { name: 'parallel GC', options: ['-XX:+UseParallelGC'] },
];
const chosen = process.env.BENCH_JVM_CANDIDATES?.split(',');
const selected = candidates.filter((c) => !chosen || c.name === 'stack' || chosen.includes(c.name));
const rounds = Number(process.env.BENCH_JVM_ROUNDS ?? '5');
const modes = (process.env.BENCH_JVM_MODES ?? 'memory,disk').split(',') as ('memory' | 'disk')[];
const starts = Number(process.env.BENCH_JVM_STARTS ?? '3');
const table = 'Complaints';
const stored = 10_000;
/** Complaints that also carry a timeline (the partition Query reads one of them). */
const withTimeline = 1_000;
/** DynamoDB Local's file under `-dbPath` with `-sharedDb`. */
const sharedDbFile = 'shared-local-instance.db';

const log = (message: string) => process.stderr.write(`${message}\n`);

/** A queue item shaped like a stored complaint: the list attributes and a task token. */
function complaint(i: number) {
  const id = `c${String(i).padStart(6, '0')}`;
  const due = new Date(Date.UTC(2026, 11, 1) + i * 60_000).toISOString();
  const s = (v: string) => ({ S: v });
  return {
    PK: s(`COMPLAINT#${id}`),
    SK: s('META'),
    GSI2PK: s('QUEUE#tier1'),
    GSI2SK: s(`${due}#${id}`),
    id: s(id),
    reference: s(`CMP-${i}`),
    status: s('awaiting_agent'),
    tier: { N: '1' },
    priority: s('normal'),
    category: s('delivery'),
    customerEmail: s(`c${i}@example.org`),
    subject: s('My parcel is late again'),
    slaDueAt: s(due),
    sla: { M: { target: s('firstResponse'), dueAt: s(due), warnAt: s(due), budgetSeconds: { N: '28800' } } },
    waitingFor: s('agent'),
    createdAt: s(due),
    updatedAt: s(due),
    version: { N: '3' },
    taskToken: s('t'.repeat(600)),
  };
}

function timeline(i: number) {
  const id = `c${String(i).padStart(6, '0')}`;
  return Array.from({ length: 5 }, (_, k) => ({
    PK: { S: `COMPLAINT#${id}` },
    SK: { S: `TL#2026-12-01T00:00:0${k}.000Z#${k}` },
    kind: { S: 'audit' },
    payload,
  }));
}

async function seed(client: DynamoDBClient) {
  const items = [
    ...Array.from({ length: stored }, (_, i) => complaint(i)),
    ...Array.from({ length: withTimeline }, (_, i) => timeline(i)).flat(),
  ];
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, b) =>
    items.slice(b * 25, b * 25 + 25),
  );
  await rate(batches.length, 4, (b) =>
    client.send(
      new BatchWriteItemCommand({
        RequestItems: { [table]: (batches[b] ?? []).map((Item) => ({ PutRequest: { Item } })) },
      }),
    ),
  );
}

interface Workload {
  name: string;
  /** Operations per round, in memory (on disk writes are slower: a quarter of them). */
  count: number;
  disk: number;
  run(client: DynamoDBClient, key: string, count: number): Promise<number>;
}

const workloads: Workload[] = [
  {
    name: 'PutItem sequential',
    count: 300,
    disk: 100,
    run: (client, key, count) =>
      rate(count, 1, (i) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { PK: { S: `P#${key}#${i}` }, SK: { S: 'P' }, payload },
          }),
        ),
      ),
  },
  {
    name: 'PutItem 16 in flight',
    count: 600,
    disk: 200,
    run: (client, key, count) =>
      rate(count, 16, (i) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { PK: { S: `C#${key}#${i}` }, SK: { S: 'C' }, payload },
          }),
        ),
      ),
  },
  {
    name: 'TransactWriteItems 3 items',
    count: 100,
    disk: 40,
    run: (client, key, count) =>
      rate(count, 1, (i) =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: ['META', 'TL#1', 'TL#2'].map((sk) => ({
              Put: { TableName: table, Item: { PK: { S: `T#${key}#${i}` }, SK: { S: sk }, payload } },
            })),
          }),
        ),
      ),
  },
  {
    name: 'Query partition (complaint + 5 timeline)',
    count: 300,
    disk: 300,
    run: (client, _key, count) =>
      rate(count, 1, (i) =>
        client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'PK = :p',
            ExpressionAttributeValues: {
              ':p': { S: `COMPLAINT#c${String(i % withTimeline).padStart(6, '0')}` },
            },
          }),
        ),
      ),
  },
  {
    name: `Query queue page (50 of ${stored.toLocaleString('en')})`,
    count: 100,
    disk: 100,
    run: (client, _key, count) =>
      rate(count, 1, () =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'queue',
            KeyConditionExpression: 'GSI2PK = :p',
            ExpressionAttributeValues: { ':p': { S: 'QUEUE#tier1' } },
            Limit: 50,
          }),
        ),
      ),
  },
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const range = (values: number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;

/** Interleaved start-and-close rounds: spawning the JVM until the first answered ListTables. */
async function measureStarts(dir: string): Promise<Figure[]> {
  const samples = new Map<string, number[]>(selected.map((c) => [c.name, []]));
  for (let r = 0; r < starts; r++) {
    for (let k = 0; k < selected.length; k++) {
      const candidate = selected[(r + k) % selected.length] as (typeof selected)[number];
      const server = await startDynamoDbLocal({
        host: '127.0.0.1',
        port: 0,
        jvmOptions: candidate.options,
        path: await mkdtemp(join(dir, 'start-')),
      });
      await server.close();
      samples.get(candidate.name)?.push(server.startMs);
    }
    log(`start round ${r + 1}/${starts} done`);
  }
  return selected.map((c) => {
    const values = samples.get(c.name) ?? [];
    return {
      benchmark: 'DynamoDB Local JVM start',
      metric: c.name,
      value: median(values),
      unit: 'ms',
      conditions: `median of ${values.length} interleaved starts (on disk, empty), range ${range(values, 0)}; ${c.options.join(' ')}`,
    };
  });
}

/** One seeded on-disk database, closed: its file, for every candidate to start from a copy. */
async function seedOnDisk(dir: string): Promise<string> {
  const path = await mkdtemp(join(dir, 'seed-'));
  const server = await startDynamoDbLocal({ host: '127.0.0.1', port: 0, path });
  const client = new DynamoDBClient({ ...localAwsConfig(server.endpoint), maxAttempts: 1 });
  try {
    const seeded = performance.now();
    await ensureTable(client, table);
    await seed(client);
    log(`disk: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
  } finally {
    client.destroy();
    await server.close();
  }
  return join(path, sharedDbFile);
}

async function measureMode(mode: 'memory' | 'disk', dir: string): Promise<Figure[]> {
  const servers: { candidate: (typeof selected)[number]; server: DynamoDbLocal; client: DynamoDBClient }[] =
    [];
  try {
    // On disk a write is a SQLite transaction (about 60 items/s at load 8): seed one database and copy it.
    const seededDb = mode === 'disk' ? await seedOnDisk(dir) : undefined;
    for (const candidate of selected) {
      let path: string | undefined;
      if (seededDb) {
        path = await mkdtemp(join(dir, 'db-'));
        await copyFile(seededDb, join(path, sharedDbFile));
      }
      const server = await startDynamoDbLocal({
        host: '127.0.0.1',
        port: 0,
        jvmOptions: candidate.options,
        path,
      });
      const client = new DynamoDBClient({ ...localAwsConfig(server.endpoint), maxAttempts: 1 });
      servers.push({ candidate, server, client });
      if (!seededDb) {
        const seeded = performance.now();
        await ensureTable(client, table);
        await seed(client);
        log(`${mode} ${candidate.name}: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      }
      // JIT warm-up: each workload once at full size before any round counts.
      for (const w of workloads) await w.run(client, 'warm', mode === 'disk' ? w.disk : w.count);
    }
    // rates[candidate][workload][round]
    const rates = new Map(selected.map((c) => [c.name, workloads.map(() => [] as number[])]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < servers.length; k++) {
        const { candidate, client } = servers[(r + k) % servers.length] as (typeof servers)[number];
        for (const [w, workload] of workloads.entries()) {
          const rate = await workload.run(client, `r${r}`, mode === 'disk' ? workload.disk : workload.count);
          rates.get(candidate.name)?.[w]?.push(rate);
        }
      }
      log(`${mode} round ${r + 1}/${rounds} done (load ${loadavg()[0]?.toFixed(1)})`);
    }
    const baseline = rates.get('stack') ?? [];
    return workloads.flatMap((workload, w) =>
      selected.map((c): Figure => {
        const values = rates.get(c.name)?.[w] ?? [];
        const ratios = values.map((v, r) => v / (baseline[w]?.[r] ?? v));
        return {
          benchmark: `DynamoDB Local JVM, ${mode === 'disk' ? 'on disk' : 'in memory'}: ${workload.name}`,
          metric: c.name,
          value: median(values),
          unit: 'ops/s',
          conditions: `median of ${values.length} rounds, range ${range(values, 0)}; ${median(ratios).toFixed(2)}x stack (paired, range ${range(ratios, 2)})`,
        };
      }),
    );
  } finally {
    for (const { server, client } of servers) {
      client.destroy();
      await server.close();
    }
  }
}

const dir = await mkdtemp(join(tmpdir(), 'complaints-bench-jvm-'));
const figures: Figure[] = [];
try {
  if (starts > 0) figures.push(...(await measureStarts(dir)));
  for (const mode of modes) figures.push(...(await measureMode(mode, dir)));
} finally {
  await rm(dir, { recursive: true, force: true });
}
printReport(figures, {
  node: process.version,
  cpus: cpus().length,
  rounds,
  load: loadavg()[0],
  at: new Date().toISOString(),
});
