import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '../scripts/local/localStack';
import { progress } from './progress';
import type { Figure } from './report';
import { UsageMeter } from './usageMeter';

/** Marker of the line a suite prints its figures on, read by bench/run.ts. */
export const figuresMarker = 'BENCH_FIGURES ';

/** Sizes scale with BENCH_SCALE (e.g. 0.2 for a quick look). */
export const scaled = (v: number) => Math.max(1, Math.round(v * Number(process.env.BENCH_SCALE ?? '1')));

export { progress } from './progress';

const longWaits = { firstResponseSeconds: 86_400, resolutionSeconds: 172_800 };
/**
 * The fast profile with SLA targets of a day and two, for suites that measure a stack at rest: no
 * complaint breaches or escalates while the figures are taken.
 */
export const restingStack = {
  profile: 'fast',
  policy: { sla: { targets: { low: longWaits, normal: longWaits, high: longWaits, urgent: longWaits } } },
} as const;

/**
 * Runs one benchmark suite on a fresh local stack in a temp folder and prints its figures for the runner.
 * The stack is metered: DynamoDB requests are counted at the emulator and Lambda invocations timed.
 */
export async function runSuite(
  options: { profile: 'standard' | 'fast'; policy?: Record<string, unknown>; mailboxRetention?: number },
  measure: (stack: LocalStack, meter: UsageMeter) => Promise<Figure[]>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'complaints-bench-'));
  const meter = new UsageMeter();
  progress('starting the local stack');
  const stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: options.profile,
    ...meter.stackOptions,
    // BENCH_API_WORKERS=0 runs the API on the stack's thread (the stack's default: worker threads).
    ...(process.env.BENCH_API_WORKERS ? { apiWorkers: Number(process.env.BENCH_API_WORKERS) } : {}),
    ...(options.policy ? { policy: JSON.stringify(options.policy) } : {}),
    ...(options.mailboxRetention ? { mailboxRetention: options.mailboxRetention } : {}),
  });
  try {
    const figures = await measure(stack, meter);
    console.log(`${figuresMarker}${JSON.stringify(figures)}`);
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
