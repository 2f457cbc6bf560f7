import type { LocalStack } from '../scripts/local/localStack';
import { ComplaintWatcher } from './complaintWatcher';
import {
  cpuPerComplaint,
  measureRequestRate,
  withImpliedCeiling,
  withReplayedCeiling,
} from './dynamoCeiling';
import { totalRequests } from './dynamoDbCounter';
import { cpuSince, cpuSnapshot } from './processCpu';
import type { Figure } from './report';
import { meanInFlight, replayAtRunConcurrency, snapshotTable } from './requestReplay';
import { sendPooled } from './smtpLoad';
import { progress } from './suite';
import type { UsageMeter } from './usageMeter';

/**
 * Mails taken to their first wait before the measured run. DynamoDB Local's JIT compiler is still at
 * work for thousands of requests, and the replayed ceiling is measured after the run, on a JVM that
 * much warmer: with 50 warm-up mails the run's share of the ceiling was 43-52%, with 250 55-62%, with
 * 600 no higher (round 9, docs/performance-history.md).
 */
const warmUpCount = 250;

/**
 * The complaints of `mails` once each waits for an agent, read past the request counter. Polled every
 * half second: the run's end is its last counted request, so the poll's interval does not bias it,
 * while every poll (the tier queues and a batch read of the complaints) is work for the emulator the
 * run measures.
 */
async function untilFirstWait(meter: UsageMeter, mails: { from: string }[]) {
  const watcher = new ComplaintWatcher(meter.rawDynamoDbEndpoint, 'Complaints', 500);
  try {
    return await Promise.all(
      mails.map((m) =>
        watcher.queued(m.from, (c) => c.waitingFor === 'agent' && c.taskToken !== undefined, 600_000),
      ),
    );
  } finally {
    watcher.close();
  }
}

/**
 * SMTP intake throughput: `count` distinct customer mails sent over `connections` SMTP connections, timed
 * until every one is stored and has its Step Functions execution started (the intake handler does both
 * before it returns; the acknowledgement is the execution's first step), and until every complaint has
 * reached its first wait (for an agent), the stack and the emulator warmed up by a batch of mails before. The DynamoDB
 * requests of the run are counted at the emulator;
 * the emulator's raw request rate at the same concurrency, divided by the requests per complaint, is the
 * implied ceiling printed beside the figure.
 */
export async function measureIntake(
  stack: LocalStack,
  meter: UsageMeter,
  count = 500,
  connections = 5,
): Promise<Figure[]> {
  const { supportAddress } = stack.endpoints;
  const runId = Date.now().toString(36);
  const mailOf = (tag: string, i: number | string) => ({
    from: `${tag}${i}@bench.example`,
    to: supportAddress,
    subject: `Order ${runId}-${tag}${i} arrived damaged`,
    text: `Hello,\n\nmy order ${runId}-${tag}${i} arrived with a broken lid. Please help.\n`,
  });
  const mails = Array.from({ length: count }, (_, i) => mailOf('customer', i));
  // Each function's first invocation imports its bundle (its cold start, which the bundles suite
  // measures), and DynamoDB Local's JVM compiles its hot code over its first thousands of requests (its
  // compiler threads took half its CPU in a run of 50 mails started after one warm-up mail): a batch
  // of mails to their first wait first, so the run measures the stack and the emulator warm.
  const warmUpMails = Array.from({ length: Math.min(count, warmUpCount) }, (_, i) => mailOf('warm-up', i));
  progress(`  intake: ${warmUpMails.length} mails to their first wait to warm the stack and the emulator up`);
  await sendPooled(stack, warmUpMails, connections);
  await untilFirstWait(meter, warmUpMails);
  await meter.settled();

  progress(`  intake: sending ${count} mails over ${connections} SMTP connections`);
  // The table as the run finds it: the replay starts its shared items (counters, windows) from there.
  const tableBefore = await snapshotTable(meter.rawDynamoDbEndpoint);
  const before = meter.snapshot();
  // Every request of the run is recorded, to be replayed without the stack (the replayed-mix ceiling).
  meter.trace(true);
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  await sendPooled(stack, mails, connections);
  const accepted = performance.now();
  await stack.drainIntake();
  const done = performance.now();
  // Every complaint at its first wait, then quiet: a pause without requests (a function's first,
  // cold invocation loading its bundle on a busy machine) is no end of the work.
  const filed = await untilFirstWait(meter, mails);
  // The report projector's last batch (of the events of the run's last complaints), without waiting
  // out its window: a new complaint's requests to its first wait include its opening's projection.
  await stack.drainEvents();
  const lastRequest = await meter.settled();
  const used = meter.since(before);
  const cpu = cpuSince(cpuSnapshot(), cpuBefore);
  meter.trace(false);
  const recorded = meter.traced();
  const requests = totalRequests(used.dynamoDb) / count;
  const replay = await replayAtRunConcurrency(
    'intake',
    meter.rawDynamoDbEndpoint,
    recorded,
    filed.map((c) => c.id),
    tableBefore,
  );
  // After the replay: its puts go to the stack's table, whose stream the stack reads (the replay's do not).
  progress(`  intake: measuring the emulator's raw request rate at ${connections} in flight`);
  const rawRate = await measureRequestRate(stack.endpoints.dynamodb.endpoint, 'Complaints', connections);
  const conditions = `${count} mails, ${connections} SMTP connections`;
  const toFirstWait: Figure = {
    benchmark: 'intake',
    metric: 'complaints/s (SMTP -> first wait)',
    value: count / ((lastRequest - started) / 1000),
    unit: 'complaints/s',
    conditions,
  };
  return [
    {
      benchmark: 'intake',
      metric: 'messages/s (SMTP -> stored + execution started)',
      value: count / ((done - started) / 1000),
      unit: 'msg/s',
      conditions,
    },
    ...withImpliedCeiling(toFirstWait, rawRate, requests, connections),
    ...withReplayedCeiling(toFirstWait, replay, requests, {
      inFlight: meanInFlight(recorded),
      jvmCpuPerRequest: cpu.jvm / recorded.length,
      jvmCompilingPerRequest: cpu.jvmCompiling / recorded.length,
    }),
    ...cpuPerComplaint('intake', cpu, (lastRequest - started) / 1000, count),
    {
      benchmark: 'intake',
      metric: 'DynamoDB requests per new complaint, to its first wait',
      value: requests,
      unit: 'requests',
      conditions: `under load, ${Object.entries(used.dynamoDb.requests)
        .map(([op, n]) => `${(n / count).toFixed(1)} ${op}`)
        .join(', ')}`,
    },
    {
      benchmark: 'intake',
      metric: 'SMTP accept rate',
      value: count / ((accepted - started) / 1000),
      unit: 'msg/s',
      conditions: '250 after durable store',
    },
  ];
}
