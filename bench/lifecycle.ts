import { SFNClient } from '@aws-sdk/client-sfn';
import type { LocalStack } from '../scripts/local/localStack';
import { measureHappyPathUsage, stateTransitions } from './complaintUsage';
import { awsListPrices } from './costModel';
import {
  cpuPerComplaint,
  measureRequestRate,
  withImpliedCeiling,
  withReplayedCeiling,
} from './dynamoCeiling';
import { totalRequests } from './dynamoDbCounter';
import { inParallel, lifecycleDriver } from './lifecycleDriver';
import { cpuSince, cpuSnapshot } from './processCpu';
import type { Figure } from './report';
import { meanInFlight, replayAtRunConcurrency, snapshotTable } from './requestReplay';
import { progress } from './suite';
import type { UsageMeter } from './usageMeter';

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/**
 * Whole-lifecycle throughput on the fast profile: `count` complaints, each from the customer's mail to
 * closed (resolution within authority, follow-up call, satisfied), driven `concurrency` at a time through
 * SMTP and the agent API; the driver watches the complaints with one poller (bench/complaintWatcher.ts).
 * The DynamoDB requests of the run are counted at the emulator and the implied ceiling printed beside
 * the figure, the stack and the emulator warmed up by `warmUpCount` complaints before. One more complaint is left unanswered
 * until its SLA breaches, then resolved the same way,
 * to count the transitions of an escalated complaint. Then the happy path is counted one complaint at a
 * time, for the request economy and the cost model.
 */
export async function measureLifecycle(
  stack: LocalStack,
  meter: UsageMeter,
  count = 200,
  concurrency = 20,
  // The replayed ceiling is measured after the run, on a JVM that much warmer: after 20 warm-up
  // complaints the run's share of it was 39-51%, after 60 57%, after 120 64% (round 9).
  warmUpCount = 120,
): Promise<Figure[]> {
  const { endpoints } = stack;
  const sfn = new SFNClient({ endpoint: endpoints.stepfunctions.endpoint, ...local });
  const executionArn = (id: string) =>
    `${endpoints.stepfunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
  const driver = lifecycleDriver(stack, meter.rawDynamoDbEndpoint);
  const { open, resolveAndClose, watcher } = driver;

  // Each function's first invocation imports its bundle (its cold start, which the bundles suite
  // measures): in a run of 60 complaints those imports were about a tenth of the stack's CPU, and
  // DynamoDB Local's JVM compiles its hot code over its first thousands of requests (after one warm-up
  // complaint its compiler threads took 44-46% of its CPU in the run). A batch of complaints through
  // the happy path first, so the run measures the stack and the emulator warm. Before the escalated
  // one is opened: all of that one's requests are in the recording the replay rewrites and sends.
  progress(
    `  lifecycle: ${warmUpCount} complaints through the happy path to warm the stack and the emulator up`,
  );
  await inParallel(warmUpCount, concurrency, async (i) => {
    await resolveAndClose((await open(`warm-up-${i}`)).id);
  });
  await meter.settled();

  // The table as the run finds it: the replay starts its shared items (counters, windows) from there.
  // Read before the escalated complaint is opened: the run records its requests from its first on.
  const tableBefore = await snapshotTable(meter.rawDynamoDbEndpoint);
  const escalated = (async () => {
    const { id } = await open('escalated');
    // Left alone until the first-response target breaches and the workflow escalates it to tier 2.
    await watcher.complaint(id, (c) => c.tier === 2 && c.waitingFor === 'agent' && c.taskToken !== undefined);
    await resolveAndClose(id);
    return id;
  })();

  progress(`  lifecycle: ${count} complaints, ${concurrency} at a time`);
  const before = meter.snapshot();
  // Every request of the run is recorded, to be replayed without the stack (the replayed-mix ceiling).
  meter.trace(true);
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  const ids: string[] = [];
  await inParallel(count, concurrency, async (i) => {
    const { id } = await open(i);
    await resolveAndClose(id);
    ids.push(id);
    if (ids.length % 50 === 0) progress(`  lifecycle: ${ids.length}/${count} closed`);
  });
  const seconds = (performance.now() - started) / 1000;
  const used = meter.since(before);
  const cpu = cpuSince(cpuSnapshot(), cpuBefore);
  meter.trace(false);
  const recorded = meter.traced();
  progress('  lifecycle: waiting for the escalated complaint');
  const escalatedId = await escalated;
  driver.close();

  const happy = await stateTransitions(sfn, executionArn(ids[0] as string));
  const escalatedTransitions = await stateTransitions(sfn, executionArn(escalatedId));
  sfn.destroy();
  // Both ceilings are measured on an emulator the stack no longer sends anything to.
  await meter.settled();
  const replay = await replayAtRunConcurrency(
    'lifecycle',
    meter.rawDynamoDbEndpoint,
    recorded,
    [...ids, escalatedId],
    tableBefore,
  );
  // After the replay: its puts go to the stack's table, whose stream the stack reads (the replay's do not).
  progress(`  lifecycle: measuring the emulator's raw request rate at ${concurrency} in flight`);
  const rawRate = await measureRequestRate(endpoints.dynamodb.endpoint, 'Complaints', concurrency);
  const counted = await measureHappyPathUsage(stack, meter, Math.max(3, Math.round(count / 20)));
  // Requests of the load run itself (the escalated complaint's are a small part of them).
  const requestsUnderLoad = totalRequests(used.dynamoDb) / count;
  const conditions = `fast profile, ${count} complaints, ${concurrency} at a time`;
  const throughput: Figure = {
    benchmark: 'lifecycle',
    metric: 'complaints/s (mail -> closed satisfied)',
    value: count / seconds,
    unit: 'complaints/s',
    conditions,
  };
  return [
    ...withImpliedCeiling(throughput, rawRate, requestsUnderLoad, concurrency),
    ...withReplayedCeiling(throughput, replay, requestsUnderLoad, {
      inFlight: meanInFlight(recorded),
      jvmCpuPerRequest: cpu.jvm / recorded.length,
      jvmCompilingPerRequest: cpu.jvmCompiling / recorded.length,
    }),
    ...cpuPerComplaint('lifecycle', cpu, seconds, count),
    {
      benchmark: 'lifecycle',
      metric: 'DynamoDB requests per complaint under load',
      value: requestsUnderLoad,
      unit: 'requests',
      conditions: `counted at the emulator, ${Object.entries(used.dynamoDb.requests)
        .map(([op, n]) => `${(n / count).toFixed(1)} ${op}`)
        .join(', ')}`,
    },
    {
      benchmark: 'lifecycle',
      metric: 'state transitions, happy path',
      value: happy,
      unit: 'transitions',
      conditions: 'from the execution history',
    },
    {
      benchmark: 'lifecycle',
      metric: 'state transitions, escalated once',
      value: escalatedTransitions,
      unit: 'transitions',
      conditions: 'SLA breach, then resolved',
    },
    {
      benchmark: 'lifecycle',
      metric: 'Step Functions cost per 1,000 escalated complaints',
      value: escalatedTransitions * awsListPrices.stepFunctionsTransition * 1000,
      unit: 'USD',
      conditions: `${awsListPrices.stepFunctionsTransition * 1000} USD per 1,000 transitions`,
    },
    ...counted.figures,
  ];
}
