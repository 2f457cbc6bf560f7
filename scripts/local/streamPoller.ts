import { readFile } from 'node:fs/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { writeDurably } from './durableFiles';
import { withoutCommandLog } from './localAws';

export interface StreamPollerOptions {
  endpoint: string;
  region: string;
  tableName: string;
  /** Durable per-shard checkpoint (the last sequence number handled). */
  checkpointFile: string;
  /** The stream-triggered Lambda handler (with partial batch failure reporting). */
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  /** The pause after a round that found nothing new. */
  intervalMs?: number;
  /** The pause after a round that handled records (Lambda polls a shard 4 times a second). */
  busyIntervalMs?: number;
  logger: { error(msg: string, extra?: object): void; warn?(msg: string, extra?: object): void };
}

interface Checkpoint {
  streamArn?: string;
  /** Per shard: the last sequence number handled, and whether the closed shard is read to its end. */
  shards: Record<string, { last?: string; done?: boolean }>;
}

export interface StreamPoller {
  /** Resolves once every record written to the table before the call has been handled. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** How long a moved checkpoint may wait before it is made durable (see `save`). */
const checkpointFlushMs = 1000;

/** Records asked for per GetRecords (Lambda's default batch size for a DynamoDB stream: 100). */
const batchSize = 100;

/**
 * Lambda's DynamoDB Streams event source, locally: reads the table's stream shard by shard (parents
 * before children, as Lambda does) and hands each batch to the handler. Like Lambda, which polls a
 * shard 4 times a second, it reads a shard again at once only after a full batch: under load, a read
 * straight after every partial batch found a few records or none each time, and each was a request
 * for DynamoDB Local (about one for every six of the table's own while intake ran). The checkpoint moves only past
 * what the handler took, and is made durable within a second, so a crash repeats at most that second's
 * batches (same records, so the same event ids) and loses nothing. A partial batch failure resumes from
 * the record it names, after a pause.
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  // Without the SDK's command log (see withoutCommandLog): it copied every record read, each item's
  // images, for a logger that discards the copy.
  const streams = withoutCommandLog(
    new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials,
    }),
  );
  const table = await new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials,
  }).send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream`);
  let checkpoint: Checkpoint = { shards: {} };
  try {
    checkpoint = JSON.parse(await readFile(options.checkpointFile, 'utf8')) as Checkpoint;
  } catch {
    // first start
  }
  // A new stream (the table was created again) starts from its beginning.
  if (checkpoint.streamArn !== streamArn) checkpoint = { streamArn, shards: {} };
  const iterators = new Map<string, string>();
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  // The checkpoint is made durable at most once a second (and when drained or closed), not after every batch: each
  // fsync also made the file system write out DynamoDB Local's own unsynced pages, and its writes
  // stalled meanwhile (a probe of conditional puts at 200/s with this poller reading: p50 from 4-6 ms to
  // 1-1.3 s in some runs, never with the checkpoint on tmpfs). A crash then reads again at most the last
  // second's batches: the same records, so the same event ids, which the bus (its dedupe window holds
  // 10,000) and the report projector count once.
  let dirty = false;
  let flushing: Promise<void> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (!dirty) return Promise.resolve();
    if (flushing) return flushing.then(flush);
    dirty = false;
    flushing = writeDurably(options.checkpointFile, JSON.stringify(checkpoint))
      .catch((e: unknown) => {
        dirty = true;
        options.logger.error('stream checkpoint not saved', { error: e instanceof Error ? e.message : e });
      })
      .finally(() => {
        flushing = undefined;
        if (dirty && !closed) scheduleFlush();
      });
    return flushing;
  };
  const scheduleFlush = () => {
    flushTimer ??= setTimeout(() => void flush(), checkpointFlushMs);
  };
  const save = async () => {
    dirty = true;
    scheduleFlush();
  };

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    const known = iterators.get(shardId);
    if (known) return known;
    const last = checkpoint.shards[shardId]?.last;
    try {
      const out = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: last ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
          ...(last ? { SequenceNumber: last } : {}),
        }),
      );
      return out.ShardIterator;
    } catch (e) {
      if (!(e instanceof TrimmedDataAccessException)) throw e;
      // Records older than the stream's retention (24 h) are gone: say so, and go on from what is left.
      options.logger.error('stream records trimmed before they were published', { shardId, last });
      delete checkpoint.shards[shardId]?.last;
      return iteratorFor(shardId);
    }
  }

  /** Reads one shard until it has nothing more now; true when records were handled. */
  async function pollShard(shard: Shard): Promise<boolean> {
    const shardId = shard.ShardId as string;
    let progressed = false;
    for (;;) {
      const iterator = await iteratorFor(shardId);
      if (!iterator) {
        checkpoint.shards[shardId] = { ...checkpoint.shards[shardId], done: true };
        await save();
        return progressed;
      }
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      const records = out.Records ?? [];
      if (records.length > 0) {
        const response = await options.handler(lambdaEvent(records, streamArn as string));
        const failed = response.batchItemFailures[0]?.itemIdentifier;
        const upTo = failed
          ? records.findIndex((r) => r.dynamodb?.SequenceNumber === failed)
          : records.length;
        if (upTo > 0) {
          checkpoint.shards[shardId] = { last: records[upTo - 1]?.dynamodb?.SequenceNumber };
          await save();
          progressed = true;
        }
        if (failed) {
          // Resume from the failed record on the next round.
          iterators.delete(shardId);
          return progressed;
        }
      }
      if (out.NextShardIterator) iterators.set(shardId, out.NextShardIterator);
      else iterators.delete(shardId);
      if (!out.NextShardIterator) {
        checkpoint.shards[shardId] = { ...checkpoint.shards[shardId], done: true };
        await save();
        return progressed;
      }
      if (records.length < batchSize) return progressed;
    }
  }

  let shards: Shard[] = [];
  let listedAt = 0;
  async function pollOnce(): Promise<boolean> {
    // The shard list changes only when a shard closes (every few hours on AWS): listed every few seconds.
    if (Date.now() - listedAt > 3_000) {
      shards = await listShards();
      listedAt = Date.now();
    }
    const known = new Set(shards.map((s) => s.ShardId));
    let progressed = false;
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (checkpoint.shards[id]?.done) continue;
      const parent = shard.ParentShardId;
      // A child shard holds later changes of the same items: its parent must be read to the end first.
      if (parent && known.has(parent) && !checkpoint.shards[parent]?.done) continue;
      if (await pollShard(shard)) progressed = true;
    }
    return progressed;
  }

  async function listShards(): Promise<Shard[]> {
    const listed: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await streams.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(start ? { ExclusiveStartShardId: start } : {}),
        }),
      );
      listed.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return listed;
  }

  let current: Promise<void> | undefined;
  const loop = () => {
    current = round();
  };
  const round = async () => {
    if (closed) return;
    let progressed = false;
    try {
      progressed = await pollOnce();
    } catch (e) {
      if (!closed) options.logger.error('stream poll failed', { error: e instanceof Error ? e.message : e });
    }
    if (!progressed) {
      for (const resolve of idleWaiters.splice(0)) resolve();
    }
    if (!closed)
      timer = setTimeout(loop, progressed ? (options.busyIntervalMs ?? 250) : (options.intervalMs ?? 500));
  };
  timer = setTimeout(loop, 0);

  return {
    drain: async () => {
      await new Promise<void>((resolve) => {
        // Two idle rounds: the first may have started before the caller's last write.
        let rounds = 0;
        const wait = () => {
          idleWaiters.push(() => (++rounds >= 2 ? resolve() : wait()));
        };
        wait();
      });
      // Drained includes the checkpoint on disk: nothing of the poller's is left to write.
      await flush();
    },
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await current;
      for (const resolve of idleWaiters.splice(0)) resolve();
      idleWaiters = [];
      await flush();
      streams.destroy();
    },
  };
}

/** The event Lambda's DynamoDB Streams event source hands a function. */
function lambdaEvent(records: _Record[], streamArn: string): DynamoDBStreamEvent {
  return {
    Records: records.map((r) => ({
      eventID: r.eventID,
      eventName: r.eventName,
      eventVersion: r.eventVersion,
      eventSource: 'aws:dynamodb',
      awsRegion: r.awsRegion,
      eventSourceARN: streamArn,
      dynamodb: r.dynamodb as NonNullable<DynamoDBStreamEvent['Records'][number]['dynamodb']>,
    })),
  };
}
