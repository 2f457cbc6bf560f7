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
import { meanInFlight, replayAtRunConcurrency } from './requestReplay';
import { sendPooled } from './smtpLoad';
import { progress } from './suite';
import type { UsageMeter } from './usageMeter';

/**
 * SMTP intake throughput: `count` distinct customer mails sent over `connections` SMTP connections, timed
 * until every one is stored and has its Step Functions execution started (the intake handler does both
 * before it returns; the acknowledgement is the execution's first step), and until every complaint has
 * reached its first wait (for an agent), the functions warmed up by one mail before. The DynamoDB
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
  const mails = Array.from({ length: count }, (_, i) => ({
    from: `customer${i}@bench.example`,
    to: supportAddress,
    subject: `Order ${runId}-${i} arrived damaged`,
    text: `Hello,\n\nmy order ${runId}-${i} arrived with a broken lid. Please help.\n`,
  }));
  // Each function's first invocation imports its bundle (its cold start, which the bundles suite
  // measures): one mail to its first wait first, so the run measures the stack warm.
  progress('  intake: one mail to its first wait to warm the functions up');
  const warmUp = new ComplaintWatcher(meter.rawDynamoDbEndpoint);
  const warmFrom = `warm-up.${runId}@bench.example`;
  const warmMail = {
    from: warmFrom,
    to: supportAddress,
    subject: `Order ${runId}-warm-up arrived damaged`,
    text: `Hello,\n\nmy order ${runId}-warm-up arrived with a broken lid. Please help.\n`,
  };
  await sendPooled(stack, [warmMail], 1);
  await warmUp.queued(warmFrom, (c) => c.waitingFor === 'agent' && c.taskToken !== undefined, 600_000);
  warmUp.close();
  await meter.settled();

  progress(`  intake: sending ${count} mails over ${connections} SMTP connections`);
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
  const watcher = new ComplaintWatcher(meter.rawDynamoDbEndpoint);
  const filed = await Promise.all(
    mails.map((m) =>
      watcher.queued(m.from, (c) => c.waitingFor === 'agent' && c.taskToken !== undefined, 600_000),
    ),
  );
  watcher.close();
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
