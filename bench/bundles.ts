import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { buildLambdaFunction, handlerEntries, lambdaEntryFile } from '../infra/bundling';
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

/** What a cold start may load and take, at most (the goal the figures are printed beside). */
const goal = { kb: 300, importMs: 60 };

/** The output files a module loads with it: itself and the chunks it imports statically, transitively. */
function staticClosure(outputs: Metafile['outputs'], file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of outputs[file]?.imports ?? []) {
    if (imported.kind === 'import-statement' && !imported.external)
      staticClosure(outputs, imported.path, seen);
  }
  return seen;
}

/** Wall and CPU (user + system) milliseconds of importing `urls` in turn in a fresh process, median of `runs`. */
async function importTimes(urls: string[], runs: number): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const c = process.cpuUsage(); const t = performance.now(); for (const url of ${JSON.stringify(urls)}) await import(url); const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000);`,
      ],
      { env: { ...process.env, ...lambdaEnvironment } },
    );
    const [wall, cpu] = stdout.trim().split(' ').map(Number);
    walls.push(wall as number);
    cpus.push(cpu as number);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

/** The floor's entry: the DynamoDB client alone, built as the functions are. */
const floorEntry = 'bench/bundleFloor.ts';

/**
 * Each function built as the stack builds it (`buildLambdaFunction`: its folder, `index.mjs` and the
 * chunks of what it imports with `import()`), and the time a fresh Node process takes to import the
 * entry (the module-load part of a cold start), median of `runs`. Sizes: the entry file, what its
 * import loads (the entry and the chunks it imports statically), every file of the folder; and the
 * import of the entry followed by every chunk (what a cold start that takes every lazy path loads).
 * First the floor every function stands on: the DynamoDB client alone (`bench/bundleFloor.ts`), and the
 * Node built-ins its bundle imports, alone.
 */
export async function measureBundles(runs = 5): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'complaints-bundles-'));
  const figures: Figure[] = [];
  const kb = (bytes: number) => Math.round(bytes / 1024);
  const size = (fn: string, metric: string, bytes: number, conditions: string): Figure => ({
    benchmark: 'bundle',
    metric: `${fn}: ${metric}`,
    value: kb(bytes),
    unit: 'KB',
    conditions,
  });
  const time = (fn: string, metric: string, ms: number, conditions: string): Figure => ({
    benchmark: 'bundle',
    metric: `${fn}: ${metric}`,
    value: ms,
    unit: 'ms',
    conditions,
  });
  const importConditions = `of the entry, fresh Node ${process.version} process, median of ${runs}`;
  // Wall time grows with whatever else runs on the machine; the CPU the import takes much less.
  const cpuConditions = `user + system CPU of the same imports, median of ${runs}; goal <= ${goal.importMs} ms`;
  try {
    progress('  bundling the floor (the DynamoDB client alone)');
    const floorDir = join(dir, 'floor');
    const floor = await buildLambdaFunction(floorEntry, floorDir);
    const floorEntryFile = entryOf(floor.metafile.outputs);
    const floorClosure = staticClosure(floor.metafile.outputs, floorEntryFile);
    const floorImport = await importTimes([pathToFileURL(join(floorDir, lambdaEntryFile)).href], runs);
    // The built-ins the floor's bundle imports statically, imported alone: what Node spends loading them.
    const builtins = [...floorClosure].flatMap((file) =>
      (floor.metafile.outputs[file]?.imports ?? [])
        .filter((i) => i.external && i.kind === 'import-statement')
        .map((i) => i.path),
    );
    const builtinsFile = join(dir, 'builtins.mjs');
    await writeFile(
      builtinsFile,
      [...new Set(builtins)].map((b, i) => `import * as m${i} from '${b}';\nexport { m${i} };`).join('\n'),
    );
    const builtinsImport = await importTimes([pathToFileURL(builtinsFile).href], runs);
    const floorName = 'floor (DynamoDB client alone)';
    figures.push(
      size(
        floorName,
        'cold import size',
        bytesOf(floor.metafile.outputs, floorClosure),
        'bench/bundleFloor.ts',
      ),
      time(floorName, 'import', floorImport.wall, importConditions),
      time(floorName, 'import CPU', floorImport.cpu, cpuConditions),
      time(
        floorName,
        'import CPU of its Node built-ins alone',
        builtinsImport.cpu,
        `${[...new Set(builtins)].join(', ')}; median of ${runs}`,
      ),
    );
    // Per function: its cold import in KB (as printed) and its import CPU, for the rows against the goals.
    const colds: { fn: string; kb: number; cpu: number }[] = [];
    for (const [fn, entry] of Object.entries(handlerEntries)) {
      progress(`  bundling ${fn}`);
      const outdir = join(dir, fn);
      const { metafile } = await buildLambdaFunction(entry, outdir);
      const outputs = metafile.outputs;
      const code = Object.keys(outputs).filter((file) => !file.endsWith('.map'));
      const entryFile = entryOf(outputs);
      const urlOf = (file: string) => pathToFileURL(join(outdir, basename(file))).href;
      const cold = await importTimes([urlOf(entryFile)], runs);
      const everything = await importTimes(
        [entryFile, ...code.filter((f) => f !== entryFile)].map(urlOf),
        runs,
      );
      const coldBytes = bytesOf(outputs, staticClosure(outputs, entryFile));
      colds.push({ fn, kb: kb(coldBytes), cpu: cold.cpu });
      figures.push(
        size(
          fn,
          'entry size',
          outputs[entryFile]?.bytes ?? 0,
          `${lambdaEntryFile}, minified, without source map`,
        ),
        size(
          fn,
          'cold import size',
          coldBytes,
          `the entry and the chunks it imports statically; goal <= ${goal.kb} KB`,
        ),
        size(fn, 'size of all files', bytesOf(outputs, code), `entry and every chunk (${code.length} files)`),
        time(fn, 'import', cold.wall, importConditions),
        time(fn, 'import CPU', cold.cpu, cpuConditions),
        time(
          fn,
          'import CPU, every chunk',
          everything.cpu,
          `the entry, then every chunk it may import later, median of ${runs}`,
        ),
      );
    }
    // How many functions meet each goal, naming those that do not.
    type Cold = (typeof colds)[number];
    const within = (what: string, meets: (c: Cold) => boolean, shown: (c: Cold) => string): Figure => {
      const over = colds.filter((c) => !meets(c));
      return {
        benchmark: 'bundle',
        metric: `functions within the goal: ${what}`,
        value: colds.length - over.length,
        unit: `of ${colds.length}`,
        conditions: over.length
          ? `over: ${over.map((c) => `${c.fn} ${shown(c)}`).join(', ')}`
          : 'every function',
      };
    };
    figures.push(
      within(
        `cold import size <= ${goal.kb} KB`,
        (c) => c.kb <= goal.kb,
        (c) => `${c.kb} KB`,
      ),
      within(
        `import CPU <= ${goal.importMs} ms`,
        (c) => c.cpu <= goal.importMs,
        (c) => `${c.cpu.toFixed(0)} ms`,
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/** The output file of a build that Lambda loads. */
const entryOf = (outputs: Metafile['outputs']) =>
  Object.keys(outputs).find((file) => file.endsWith(`/${lambdaEntryFile}`)) as string;

const bytesOf = (outputs: Metafile['outputs'], files: Iterable<string>) =>
  [...files].reduce((sum, f) => sum + (outputs[f]?.bytes ?? 0), 0);
