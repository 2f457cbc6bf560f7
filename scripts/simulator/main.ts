import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulate } from './engine';
import { backlogChart, smallestMeeting, summarise, summaryTable, sweepChart } from './report';
import { parseScenario, ScenarioError } from './scenario';
import { parseSweep, runSweep } from './sweep';

/**
 * `npm run simulate -- --scenario <file> [--seed n] [--sweep tier1=2..10] [--out <folder>]`: runs a
 * workload scenario on the real policies and prints a table; writes the result as JSON and the charts
 * as SVG into the output folder (`.local/simulator/<scenario>` unless given).
 */
const usage = 'npm run simulate -- --scenario <file> [--seed n] [--sweep tier1=2..10] [--out <folder>]';

function main() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      sweep: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.scenario) throw new Error(`--scenario is required: ${usage}`);
  const scenario = parseScenario(JSON.parse(readFileSync(values.scenario, 'utf8')));
  const seed = values.seed === undefined ? scenario.seed : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${values.seed}: expected an integer`);
  const out = values.out ?? join('.local', 'simulator', scenario.name);
  mkdirSync(out, { recursive: true });

  const started = performance.now();
  const result = simulate(scenario, { seed });
  const seconds = (performance.now() - started) / 1000;
  const summary = summarise(result);
  console.log(summaryTable(summary));
  console.log(
    `\nSimulated ${result.complaints} complaints over ${scenario.days} days in ${seconds.toFixed(1)} s`,
  );
  writeFileSync(join(out, 'result.json'), `${JSON.stringify({ summary, result }, null, 2)}\n`);
  writeFileSync(join(out, 'backlog.svg'), backlogChart(result));
  let written = ['result.json', 'backlog.svg'];

  if (values.sweep) {
    const { role, counts } = parseSweep(values.sweep);
    const points = runSweep(scenario, seed, role, counts, (p) =>
      console.log(
        `${role} ${p.agents}: first response ${(p.summary.firstResponseCompliance * 100).toFixed(1)}%, resolution ${(p.summary.resolutionCompliance * 100).toFixed(1)}%`,
      ),
    );
    const best = smallestMeeting(points, scenario.target);
    const { metric, share } = scenario.target;
    console.log(
      best
        ? `Smallest ${role} staffing meeting ${(share * 100).toFixed(0)}% ${metric} within target: ${best.agents}`
        : `No ${role} staffing in ${values.sweep} meets ${(share * 100).toFixed(0)}% ${metric} within target`,
    );
    writeFileSync(
      join(out, 'sweep.json'),
      `${JSON.stringify({ role, target: scenario.target, smallest: best?.agents ?? null, points }, null, 2)}\n`,
    );
    writeFileSync(join(out, 'sweep.svg'), sweepChart(role, points, scenario.target));
    written = [...written, 'sweep.json', 'sweep.svg'];
  }
  console.log(`Wrote ${written.map((f) => join(out, f)).join(', ')}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof ScenarioError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
