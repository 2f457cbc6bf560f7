import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalStack } from '../scripts/local/localStack';
import { defaultParkAfterMs } from '../scripts/local/stepFunctions/localStepFunctions';
import { heapMb, inParallel, lifecycleDriver } from './lifecycleDriver';
import type { Figure } from './report';
import { progress } from './suite';
import type { UsageMeter } from './usageMeter';

/**
 * What the local stack's process keeps per complaint (P7). After a warm-up (every function loaded,
 * code compiled), the heap after a full collection is read at rest (waiting executions parked): before `count` complaints are
 * opened, once all of them wait for an agent (what a waiting complaint costs), once all of them are
 * closed (what a closed one leaves behind), and in a second round of `count` opened and closed (the
 * same once the process has settled). The stack runs in this process, so the heap is the stack's.
 */
export async function measureMemory(
  stack: LocalStack,
  meter: UsageMeter,
  count: number,
  mailboxKept: number,
  concurrency = 20,
): Promise<Figure[]> {
  const driver = lifecycleDriver(stack, meter.rawDynamoDbEndpoint);
  // At rest, and every waiting execution parked: the sweep parks one 1-2 parking delays after it rests.
  const settled = async () => {
    await stack.resting();
    await sleep(2 * defaultParkAfterMs + 250);
  };
  const round = async (name: string, n: number) => {
    const ids: string[] = [];
    await inParallel(n, concurrency, async (i) => {
      ids.push((await driver.open(`${name}-${i}`)).id);
    });
    await settled();
    const open = heapMb();
    progress(`  memory: ${name}: ${n} complaints wait for an agent, heap ${open.toFixed(1)} MB`);
    await inParallel(n, concurrency, async (i) => driver.resolveAndClose(ids[i] as string));
    await settled();
    const closed = heapMb();
    progress(`  memory: ${name}: ${n} complaints closed, heap ${closed.toFixed(1)} MB`);
    return { open, closed };
  };
  try {
    const warmUp = Math.max(20, Math.round(count / 10));
    progress(`  memory: warming up with ${warmUp} complaints`);
    await round('warmup', warmUp);
    const start = heapMb();
    const rssStart = process.memoryUsage().rss / 1e6;
    const first = await round('first', count);
    const second = await round('second', count);
    const rssEnd = process.memoryUsage().rss / 1e6;
    const perComplaint = (mb: number) => (mb * 1000) / count;
    const conditions = (what: string) =>
      `stack heap after a full GC at rest, ${count} complaints a round, ${concurrency} at a time, the mailbox keeping its newest ${mailboxKept} mails; ${what}`;
    return [
      {
        benchmark: 'memory',
        metric: 'heap per complaint waiting for an agent',
        value: perComplaint(first.open - start),
        unit: 'KB',
        conditions: conditions(`${start.toFixed(1)} -> ${first.open.toFixed(1)} MB`),
      },
      {
        benchmark: 'memory',
        metric: 'heap kept per closed complaint, first round',
        value: perComplaint(first.closed - start),
        unit: 'KB',
        conditions: conditions(`${start.toFixed(1)} -> ${first.closed.toFixed(1)} MB`),
      },
      {
        benchmark: 'memory',
        metric: 'heap per complaint waiting for an agent, second round',
        value: perComplaint(second.open - first.closed),
        unit: 'KB',
        conditions: conditions(`${first.closed.toFixed(1)} -> ${second.open.toFixed(1)} MB`),
      },
      {
        benchmark: 'memory',
        metric: 'heap kept per closed complaint, second round',
        value: perComplaint(second.closed - first.closed),
        unit: 'KB',
        conditions: conditions(`${first.closed.toFixed(1)} -> ${second.closed.toFixed(1)} MB`),
      },
      {
        benchmark: 'memory',
        metric: 'process RSS over both rounds',
        value: rssEnd - rssStart,
        unit: 'MB',
        conditions: `${rssStart.toFixed(0)} -> ${rssEnd.toFixed(0)} MB (the JVM of DynamoDB Local is a process of its own)`,
      },
    ];
  } finally {
    driver.close();
  }
}
