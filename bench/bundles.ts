import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptionsOf, handlerEntries, lambdaBundling } from '../infra/bundling';
import type { Figure } from './report';
import { progress } from './suite';

const run = promisify(execFile);

// What a function's configuration reads at cold start; placeholders are enough to import the module.
const lambdaEnvironment = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'Complaints',
  SUPPORT_ADDRESS: 'support@example.com',
  SENDER_ADDRESS: 'support@example.com',
  MAIL_DOMAIN: 'example.com',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:Complaints',
  RAW_MAIL_BUCKET: 'raw-mail',
  RAW_MAIL_PREFIX: 'inbound/',
  SURVEY_BASE_URL: 'https://example.com',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Each function's bundle built as the stack builds it (lambdaBundling), its size, and the time a fresh
 * Node process takes to import it (the module-load part of a cold start), median of `runs`.
 */
export async function measureBundles(runs = 5): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'complaints-bundles-'));
  const figures: Figure[] = [];
  try {
    for (const [fn, entry] of Object.entries(handlerEntries)) {
      progress(`  bundling ${fn}`);
      const outfile = join(dir, fn, 'index.mjs');
      await build({ ...esbuildOptionsOf(lambdaBundling), entryPoints: [entry], outfile, logLevel: 'silent' });
      const { size } = await stat(outfile);
      const timings: number[] = [];
      const cpuTimes: number[] = [];
      for (let i = 0; i < runs; i++) {
        const { stdout } = await run(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000);`,
          ],
          { env: { ...process.env, ...lambdaEnvironment } },
        );
        const [wall, cpu] = stdout.trim().split(' ').map(Number);
        timings.push(wall as number);
        cpuTimes.push(cpu as number);
      }
      figures.push(
        {
          benchmark: 'bundle',
          metric: `${fn}: size`,
          value: Math.round(size / 1024),
          unit: 'KB',
          conditions: 'minified, without source map',
        },
        {
          benchmark: 'bundle',
          metric: `${fn}: import`,
          value: median(timings),
          unit: 'ms',
          conditions: `fresh Node ${process.version} process, median of ${runs}`,
        },
        {
          benchmark: 'bundle',
          metric: `${fn}: import CPU`,
          value: median(cpuTimes),
          unit: 'ms',
          // Wall time grows with whatever else runs on the machine; the CPU the import takes much less.
          conditions: `user + system CPU of the same imports, median of ${runs}`,
        },
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
