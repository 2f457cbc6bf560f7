import { Agent, request } from 'node:http';
import {
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { tableKeys } from '../functions/adapters/tableSchema';
import { ensureTable } from '../scripts/local/createTable';
import { localAwsConfig } from '../scripts/local/localAws';
import { errorType, type TracedRequest } from './dynamoDbCounter';
import { cpuSince, cpuSnapshot } from './processCpu';
import { progress } from './progress';

/** A request as DynamoDB Local received it: the operation and the body (DynamoDB JSON). */
export type RecordedRequest = Pick<TracedRequest, 'operation' | 'body' | 'refused' | 'sentAt' | 'answeredAt'>;

/** The parts of a string an id can be: runs of letters, digits, `-` and `_` (keys join them with `#`). */
const tokenPattern = /[A-Za-z0-9_-]+/g;
/**
 * What may be an id: six characters or more, neither a number (an epoch second orders a window) nor a
 * date or time (conditions and sort keys compare those by order, which a rewrite would not keep).
 */
const idShaped = (t: string) => t.length >= 6 && !/^\d+$/.test(t) && !/^\d{4}-\d\d(-\d\d)?/.test(t);

/**
 * Rewrites the string attribute values of a request (`S`, `SS`, in keys, items, expression values,
 * nested maps and lists) and its ClientRequestToken (the SDK's idempotency token of a transaction);
 * attribute names, expressions and numbers stay as they are.
 */
function mapStrings(value: unknown, f: (s: string) => string, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f, false));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.S === 'string' && Object.keys(o).length === 1) return { S: f(o.S) };
  if (Array.isArray(o.SS) && Object.keys(o).length === 1) return { SS: (o.SS as string[]).map(f) };
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k,
      top && k === 'ClientRequestToken' && typeof v === 'string' ? f(v) : mapStrings(v, f, false),
    ]),
  );
}

/** The id-shaped tokens of a request's string attribute values. */
function idTokensOf(body: unknown): Set<string> {
  const found = new Set<string>();
  mapStrings(body, (s) => {
    for (const [t] of s.matchAll(tokenPattern)) if (idShaped(t)) found.add(t);
    return s;
  });
  return found;
}

/**
 * The values that belong to one complaint among a run's `requests`, given the run's complaint ids: a
 * request belongs to the complaints whose ids it names, and an id-shaped token (a reference, message id
 * or its digest, customer id or address, thread token, execution name, task token, send lease,
 * ClientRequestToken) belongs to one complaint when every request naming it that belongs to any
 * complaint belongs to that one. A token named on behalf of two complaints or more is shared (an
 * agent, a category, the run's tag in the customers' addresses, a report counter's key) and is kept,
 * so counters and windows stay shared in a replay. A token that no complaint's request names is the
 * complaint's own if one request names it (a transaction's token) and shared otherwise.
 */
export function complaintIds(requests: RecordedRequest[], complaintIdsOfRun: Iterable<string>): Set<string> {
  const seeds = new Set(complaintIdsOfRun);
  const owners = new Map<string, Set<string>>();
  const named = new Map<string, number>();
  for (const r of requests) {
    const tokens = idTokensOf(JSON.parse(r.body || '{}'));
    const of = [...tokens].filter((t) => seeds.has(t));
    for (const t of tokens) {
      named.set(t, (named.get(t) ?? 0) + 1);
      const set = owners.get(t) ?? new Set<string>();
      owners.set(t, set);
      for (const o of of) set.add(o);
    }
  }
  return new Set(
    [...owners].filter(([t, o]) => o.size === 1 || (o.size === 0 && named.get(t) === 1)).map(([t]) => t),
  );
}

const digits = '0123456789';
const hex = '0123456789abcdef';
const lower = 'abcdefghijklmnopqrstuvwxyz';
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A fresh value of the same shape: the same length, each character from its own class (a hex digest
 * stays hex), so items keep their size and keys their order of magnitude.
 */
export function freshLike(token: string, random: () => number = Math.random): string {
  const isHex = /^[0-9a-f]+$/.test(token);
  const pick = (set: string) => set[Math.floor(random() * set.length)] as string;
  return token.replace(/[0-9a-zA-Z]/g, (c) => {
    if (c >= '0' && c <= '9') return pick(isHex ? hex : digits);
    if (c >= 'a' && c <= 'z') return pick(isHex ? hex : lower);
    return pick(upper);
  });
}

export interface Rewritten {
  operation: string;
  body: string;
  /** The fresh ids it names. */
  ids: string[];
  /** When it was sent and answered in the run. */
  sentAt: number;
  answeredAt: number;
  /** Keys (DynamoDB JSON) of items it names that keep their original key: shared items. */
  sharedKeys: Record<string, unknown>[];
  /** Whether it queries a partition that keeps its original key. */
  sharedQuery: boolean;
}

/**
 * Rewrites recorded requests for a replay: every id of `ids` becomes one fresh value, the same in every
 * request (so a complaint's writes and reads still meet, and its conditions evaluate as they did), and
 * `fromTable` becomes `toTable`; everything else (shared keys, expressions, numbers) is kept.
 */
export function rewriteRequests(
  requests: RecordedRequest[],
  ids: Set<string>,
  fromTable: string,
  toTable: string,
  random: () => number = Math.random,
): Rewritten[] {
  const fresh = new Map<string, string>();
  const taken = new Set(ids);
  const swap = (t: string) => {
    if (!ids.has(t)) return t;
    let to = fresh.get(t);
    if (to === undefined) {
      do to = freshLike(t, random);
      while (taken.has(to));
      fresh.set(t, to);
      taken.add(to);
    }
    return to;
  };
  const renameTable = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(renameTable);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k === fromTable ? toTable : k,
          k === 'TableName' && v === fromTable ? toTable : renameTable(v),
        ]),
      );
    }
    return value;
  };
  return requests.map((r) => {
    const input = JSON.parse(r.body || '{}') as Record<string, unknown>;
    const named = new Set<string>();
    const out = mapStrings(renameTable(input), (v) =>
      v.replace(tokenPattern, (t) => {
        const to = swap(t);
        if (to !== t) named.add(to);
        return to;
      }),
    );
    const keeps = (v: unknown) => [...idTokensOf(v)].every((t) => !ids.has(t));
    return {
      operation: r.operation,
      body: JSON.stringify(out),
      ids: [...named],
      sentAt: r.sentAt,
      answeredAt: r.answeredAt ?? Number.POSITIVE_INFINITY,
      sharedKeys: itemKeysOf(r.operation, input).filter(keeps),
      sharedQuery: r.operation === 'Query' && keeps(input.ExpressionAttributeValues),
    };
  });
}

type Wire = Record<string, unknown>;
const keyNames = [tableKeys.partitionKey, tableKeys.sortKey];
const keyOf = (item: Wire | undefined) =>
  item && Object.fromEntries(keyNames.filter((k) => k in item).map((k) => [k, item[k]]));

/** The keys of the table items a request names. */
function itemKeysOf(operation: string, input: Wire): Wire[] {
  const i = input as {
    Key?: Wire;
    Item?: Wire;
    TransactItems?: Record<string, { Key?: Wire; Item?: Wire }>[];
    RequestItems?: Record<
      string,
      { Keys?: Wire[] } | { PutRequest?: { Item: Wire }; DeleteRequest?: { Key: Wire } }[]
    >;
  };
  const keys: (Wire | undefined)[] = [];
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    for (const t of i.TransactItems ?? [])
      for (const a of Object.values(t)) keys.push(a.Key ?? keyOf(a.Item));
  } else if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    for (const v of Object.values(i.RequestItems ?? {})) {
      if (Array.isArray(v)) for (const w of v) keys.push(w.DeleteRequest?.Key ?? keyOf(w.PutRequest?.Item));
      else keys.push(...(v.Keys ?? []));
    }
  } else if (i.Key || i.Item) keys.push(i.Key ?? keyOf(i.Item));
  return keys.filter((k): k is Wire => k !== undefined && Object.keys(k).length > 0);
}

/**
 * How many requests the emulator had in flight during the run, on average over the run's time (from
 * when the counting proxy received each request to when its answer was back): the concurrency the
 * stack actually put on it, which its complaints in flight do not tell.
 */
export function meanInFlight(recorded: RecordedRequest[]): number {
  const answered = recorded.filter((r) => r.answeredAt !== undefined);
  if (answered.length === 0) return 0;
  const from = Math.min(...answered.map((r) => r.sentAt));
  const to = Math.max(...answered.map((r) => r.answeredAt as number));
  const busy = answered.reduce((sum, r) => sum + ((r.answeredAt as number) - r.sentAt), 0);
  return to > from ? busy / (to - from) : 0;
}

/** What a replay did. */
export interface ReplayResult {
  requests: number;
  /** Requests in flight at most. */
  concurrency: number;
  seconds: number;
  /** Requests per second. */
  rate: number;
  /** Requests in flight, averaged over the replay's time. */
  meanInFlight: number;
  /** Refusals and errors by type (ConditionalCheckFailedException, TransactionCanceledException...). */
  refused: Record<string, number>;
  /** The same, as DynamoDB Local answered the run itself: a faithful replay is refused as often. */
  refusedInRun: Record<string, number>;
  /** Distinct complaint ids rewritten. */
  ids: number;
  /** Shared items copied into the replay's table before it ran. */
  seeded: number;
  /** Queries of a partition no complaint owns (kept as recorded). */
  sharedQueries: number;
  /** The rates of every replay of the run, when it was replayed more than once (this is the median one). */
  rates?: number[];
  /** CPU time DynamoDB Local's JVM used during the replay, ms (0 without /proc). */
  jvmCpuMs: number;
  /** The part of it its JIT compiler threads used. */
  jvmCompilingMs: number;
}

/**
 * {@link replayRequests} at the concurrency the stack put on the emulator (its requests in flight at the
 * proxy, on average), which is not the driver's: on DynamoDB Local's on-disk store, transactions slow
 * down sharply with more in flight, so a replay at the driver's concurrency would measure that instead.
 */
export async function replayAtRunConcurrency(
  suite: string,
  endpoint: string,
  recorded: RecordedRequest[],
  complaintIdsOfRun: Iterable<string>,
  before?: TableSnapshot,
): Promise<ReplayResult> {
  const inFlight = Math.max(1, Math.round(meanInFlight(recorded)));
  // A replay lasts seconds; on this shared machine one varied by a quarter from the next. The median
  // of three, each into a table of its own, is the ceiling.
  const results: ReplayResult[] = [];
  const ids = [...complaintIdsOfRun];
  for (let i = 1; i <= replays; i++) {
    progress(
      `  ${suite}: replaying the run's ${recorded.length} requests without the stack, ${inFlight} in flight (${i}/${replays})`,
    );
    results.push(await replayRequests(endpoint, 'Complaints', recorded, ids, inFlight, before));
  }
  const byRate = [...results].sort((a, b) => a.rate - b.rate);
  const median = byRate[Math.floor(byRate.length / 2)] as ReplayResult;
  return { ...median, rates: results.map((r) => r.rate) };
}

/** How many times a run is replayed for its ceiling (the median counts). */
const replays = 3;

/** A table's items by key (DynamoDB JSON), as a run found them. */
export type TableSnapshot = Map<string, Wire>;

const keyString = (key: Wire) => tableKeyNames.map((k) => JSON.stringify(key[k])).join('|');
const tableKeyNames = [tableKeys.partitionKey, tableKeys.sortKey];

/**
 * Every item of the table, read (without the counting proxy) just before a run starts: the replay
 * seeds the shared items from it, as the run found them. Seeded from the end of the run instead, a
 * conditional write on a shared item (a recurring-issue window's set, full by then) is refused in the
 * replay where the run's was not.
 */
export async function snapshotTable(endpoint: string, tableName = 'Complaints'): Promise<TableSnapshot> {
  const client = new DynamoDBClient(localAwsConfig(endpoint));
  const items: TableSnapshot = new Map();
  try {
    for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true }))
      for (const item of page.Items ?? []) items.set(keyString(item as Wire), item as Wire);
  } finally {
    client.destroy();
  }
  return items;
}

/**
 * Replays the recorded requests of a run against the same DynamoDB Local, without the stack: into a
 * new table created as the stack's is (keys, indexes; no stream, see below), with every complaint id rewritten to a
 * fresh one and the shared items the requests name (counters, windows) copied over first, as the run
 * found them when `before` is given. `concurrency`
 * requests are in flight, taken in their recorded order; a request waits for the earlier ones on the
 * same complaint or shared item that the run had answered before it sent this one. The table is
 * dropped afterwards.
 */
export async function replayRequests(
  endpoint: string,
  tableName: string,
  recorded: RecordedRequest[],
  complaintIdsOfRun: Iterable<string>,
  concurrency: number,
  /** The table as the run found it ({@link snapshotTable}); without it, shared items are copied as they are now. */
  before?: TableSnapshot,
): Promise<ReplayResult> {
  const client = new DynamoDBClient(localAwsConfig(endpoint));
  const replayTable = `${tableName}Replay${Date.now().toString(36)}`;
  const ids = complaintIds(recorded, complaintIdsOfRun);
  const requests = rewriteRequests(recorded, ids, tableName, replayTable);
  // Without a stream: DynamoDB Local keeps every table's stream records in one SQLite table without an
  // index on the shard, and each write to a stream whose first record comes after many others scans
  // past all of them (put latency on a new table after 6,000 records elsewhere: 22-52 ms of the JVM's
  // CPU with a stream, 2.2-2.9 without, 1.6-2.1 on a table with a stream written from its start: the
  // stream record itself costs nothing measurable per put, round 9).
  await ensureTable(client, replayTable, { stream: false });
  try {
    const shared = new Map<string, Wire>();
    for (const r of requests) for (const k of r.sharedKeys) shared.set(JSON.stringify(k), k);
    let seeded = 0;
    for (const key of shared.values()) {
      const Item = before
        ? before.get(keyString(key))
        : (
            await client.send(
              new GetItemCommand({ TableName: tableName, Key: key as never, ConsistentRead: true }),
            )
          ).Item;
      if (!Item) continue;
      await client.send(new PutItemCommand({ TableName: replayTable, Item: Item as never }));
      seeded++;
    }
    const cpu = cpuSnapshot();
    const run = await send(endpoint, requests, concurrency);
    const { jvm: jvmCpuMs, jvmCompiling: jvmCompilingMs } = cpuSince(cpuSnapshot(), cpu);
    const refusedInRun: Record<string, number> = {};
    for (const r of recorded) if (r.refused) refusedInRun[r.refused] = (refusedInRun[r.refused] ?? 0) + 1;
    return {
      ...run,
      refusedInRun,
      jvmCpuMs,
      jvmCompilingMs,
      concurrency,
      ids: ids.size,
      seeded,
      sharedQueries: requests.filter((r) => r.sharedQuery).length,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: replayTable }));
    client.destroy();
  }
}

/** Sends the rewritten requests, `concurrency` at a time, in the order the run kept between them. */
async function send(endpoint: string, requests: Rewritten[], concurrency: number) {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const refused: Record<string, number> = {};
  let inFlight = 0;
  let inFlightTime = 0;
  let changedAt = performance.now();
  const account = (delta: number) => {
    const now = performance.now();
    inFlightTime += inFlight * (now - changedAt);
    changedAt = now;
    inFlight += delta;
  };
  const post = (r: Rewritten) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${r.operation}`,
            // DynamoDB Local does not check signatures (the counting proxy rewrites bodies too).
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'content-length': Buffer.byteLength(r.body),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              const type = errorType(Buffer.concat(parts).toString('utf8'), res.statusCode);
              refused[type] = (refused[type] ?? 0) + 1;
            }
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });

  // What a request touches: its complaint's ids and the shared items it names. It waits for the
  // earlier requests touching one of them that the run had answered before sending it: the order the
  // stack kept (a complaint's steps one after the other, the report projector's transactions on shared
  // counters one at a time), and no more, so the replay overlaps what the run overlapped.
  const touched = new Map<string, { answeredAt: number; done: Promise<unknown> }[]>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const r = requests[i] as Rewritten;
        const resources = [...r.ids, ...r.sharedKeys.map((k) => JSON.stringify(k))];
        const before = resources.flatMap((k) =>
          (touched.get(k) ?? []).filter((e) => e.answeredAt <= r.sentAt).map((e) => e.done),
        );
        const done = (async () => {
          await Promise.all(before);
          account(1);
          try {
            await post(r);
          } finally {
            account(-1);
          }
        })();
        for (const k of resources) {
          const list = touched.get(k) ?? [];
          touched.set(k, list);
          list.push({ answeredAt: r.answeredAt, done });
        }
        await done;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  account(0);
  agent.destroy();
  return {
    requests: requests.length,
    seconds,
    rate: requests.length / seconds,
    meanInFlight: inFlightTime / (seconds * 1000),
    refused,
  };
}
