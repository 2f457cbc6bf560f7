import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { type Figure, printReport } from './report';
import { figuresMarker } from './suite';

/**
 * `npm run bench`: runs each suite in its own process on a fresh local stack and prints one table and
 * one JSON document. `BENCH_SCALE=0.2` scales the sizes down; `BENCH_SUITES=lifecycle` picks suites.
 */
const suites = ['bundles', 'intakeAndApi', 'lifecycle', 'memory', 'api', 'reports', 'console'];
const selected = process.env.BENCH_SUITES?.split(',') ?? suites;

/**
 * V8 flags of a suite's process beyond `--expose-gc`. The memory suite keeps V8 from flushing the
 * bytecode of functions it has not run for a while: that frees code, not data, megabytes at a time and at
 * moments of its own, which would blur what the stack keeps per complaint.
 */
const nodeFlags: Record<string, string[]> = { memory: ['--no-flush-bytecode'] };

/** Runs a suite with its progress (stderr) passed through; resolves with its stdout. */
function run(suite: string): Promise<string> {
  const args = ['--expose-gc', ...(nodeFlags[suite] ?? []), '--import', 'tsx', `bench/suites/${suite}.ts`];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new Error(`bench suite ${suite} ended with ${signal ?? `code ${code}`}`));
    });
  });
}

const figures: Figure[] = [];
for (const suite of suites.filter((s) => selected.includes(s))) {
  process.stderr.write(`running ${suite}...\n`);
  const stdout = await run(suite);
  const line = stdout.split('\n').find((l) => l.startsWith(figuresMarker));
  if (!line) throw new Error(`bench suite ${suite} printed no figures`);
  figures.push(...(JSON.parse(line.slice(figuresMarker.length)) as Figure[]));
}
printReport(figures, {
  node: process.version,
  cpus: cpus().length,
  scale: Number(process.env.BENCH_SCALE ?? '1'),
  at: new Date().toISOString(),
});
