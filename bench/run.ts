import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { type Figure, printReport } from './report';
import { figuresMarker } from './suite';

/**
 * `npm run bench`: runs each suite in its own process on a fresh local stack and prints one table and
 * one JSON document. `BENCH_SCALE=0.2` scales the sizes down; `BENCH_SUITES=lifecycle` picks suites.
 */
const suites = ['intakeAndApi', 'lifecycle', 'api', 'console'];
const selected = process.env.BENCH_SUITES?.split(',') ?? suites;
const run = promisify(execFile);

const figures: Figure[] = [];
for (const suite of suites.filter((s) => selected.includes(s))) {
  process.stderr.write(`running ${suite}...\n`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `bench/suites/${suite}.ts`], {
    maxBuffer: 256 * 1024 * 1024,
    env: process.env,
  });
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
