import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '../scripts/local/localStack';
import type { Figure } from './report';

/** Marker of the line a suite prints its figures on, read by bench/run.ts. */
export const figuresMarker = 'BENCH_FIGURES ';

/** Sizes scale with BENCH_SCALE (e.g. 0.2 for a quick look). */
export const scaled = (v: number) => Math.max(1, Math.round(v * Number(process.env.BENCH_SCALE ?? '1')));

/**
 * Runs one benchmark suite on a fresh local stack in a temp folder and prints its figures for the runner.
 */
export async function runSuite(
  options: { profile: 'standard' | 'fast'; policy?: Record<string, unknown> },
  measure: (stack: LocalStack) => Promise<Figure[]>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'complaints-bench-'));
  const stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: options.profile,
    ...(options.policy ? { policy: JSON.stringify(options.policy) } : {}),
  });
  try {
    const figures = await measure(stack);
    console.log(`${figuresMarker}${JSON.stringify(figures)}`);
  } finally {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
