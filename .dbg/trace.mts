import { readFileSync } from 'node:fs';
import { simulate } from '/work/wt/simulator/scripts/simulator/engine';
import { parseScenario } from '/work/wt/simulator/scripts/simulator/scenario';
const scenario = parseScenario(JSON.parse(readFileSync('/work/wt/simulator/scripts/simulator/scenarios/stack-comparison.json', 'utf8')));
const r = simulate(scenario, { trace: true, maxComplaints: 80 });
const t = r.traces!.find((t) => t.index === Number(process.argv[2]))!;
console.log(JSON.stringify(t, null, 1));
