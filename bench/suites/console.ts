import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../scripts/console/build';
import type { Figure } from '../report';
import { figuresMarker } from '../suite';

/** The agent console: a full build (forced) and what a first visit downloads, gzipped. */
// Into a folder of its own: a running stack keeps serving console/dist.
const outDir = await mkdtemp(join(tmpdir(), 'console-bench-'));
const started = performance.now();
const build = await buildConsole({ force: true, outDir });
await rm(outDir, { recursive: true, force: true });
const figures: Figure[] = [
  {
    benchmark: 'console',
    metric: 'first load (index.html + script + stylesheet)',
    value: Math.round((build.firstLoadGzipBytes / 1024) * 10) / 10,
    unit: 'KB gzip',
    conditions: 'goal ≤ 200',
  },
  {
    benchmark: 'console',
    metric: 'build (esbuild, minified)',
    value: Math.round(performance.now() - started),
    unit: 'ms',
    conditions: 'forced, no cache',
  },
];
console.log(`${figuresMarker}${JSON.stringify(figures)}`);
