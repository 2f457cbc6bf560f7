import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkflowStep } from '../../workflows/ComplaintWorkflow';

/**
 * The state machine as the simulation walks it: each state's type, successors, Choice rules, the
 * Lambda step (and its constant payload) behind each Task, the timeout of each callback task and the
 * timestamp of each Wait. It is a projection of the ASL that CDK synthesizes, kept beside the
 * simulator (synthesis takes seconds, a simulation run must not); the stack comparison test projects
 * the freshly synthesized definition and fails when this copy differs. Regenerate it with
 * `npx tsx scripts/simulator/workflowGraph.ts --write`.
 */
export type GraphState =
  | {
      type: 'Task';
      step: WorkflowStep;
      /** The payload's constants (cause, reason, kind, waitingFor). */
      constants: Record<string, string>;
      waitForTaskToken: boolean;
      /** Where the result goes: `$.Payload` replaces the state, `$.decision` adds the person's answer, null discards it. */
      outputPath?: string;
      resultPath?: string | null;
      timeoutSecondsPath?: string;
      /** The Catch of `States.Timeout`. */
      onTimeout?: { next: string; resultPath: string };
      next?: string;
    }
  | { type: 'Choice'; choices: ChoiceRule[]; default?: string }
  | { type: 'Pass'; parameters: Record<string, unknown>; next: string }
  | { type: 'Wait'; timestampPath: string; next: string }
  | { type: 'Succeed' };

export interface ChoiceRule {
  variable: string;
  operator: 'StringEquals' | 'BooleanEquals' | 'NumericGreaterThan' | 'IsPresent';
  value: string | number | boolean;
  next: string;
}

export interface WorkflowGraph {
  startAt: string;
  states: Record<string, GraphState>;
}

type AslState = Record<string, unknown> & { Type: string };
const operators = ['StringEquals', 'BooleanEquals', 'NumericGreaterThan', 'IsPresent'] as const;

/** The graph of a synthesized definition; `functionArns` names the Lambda step behind each ARN. */
export function projectWorkflow(
  definition: Record<string, unknown>,
  functionArns: Record<WorkflowStep, string>,
): WorkflowGraph {
  const stepOf = new Map(Object.entries(functionArns).map(([step, arn]) => [arn, step as WorkflowStep]));
  const states: Record<string, GraphState> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, AslState>)) {
    states[name] = projectState(name, state, stepOf);
  }
  return { startAt: String(definition.StartAt), states };
}

function projectState(name: string, s: AslState, stepOf: Map<string, WorkflowStep>): GraphState {
  switch (s.Type) {
    case 'Task': {
      const parameters = s.Parameters as { FunctionName: string; Payload: Record<string, unknown> };
      const step = stepOf.get(parameters.FunctionName);
      if (!step) throw new Error(`${name}: unknown function ${parameters.FunctionName}`);
      const constants = Object.fromEntries(
        Object.entries(parameters.Payload).filter(
          (entry): entry is [string, string] => !entry[0].endsWith('.$') && typeof entry[1] === 'string',
        ),
      );
      const catches = (s.Catch ?? []) as { ErrorEquals: string[]; Next: string; ResultPath: string }[];
      const timeout = catches.find((c) => c.ErrorEquals.includes('States.Timeout'));
      return {
        type: 'Task',
        step,
        constants,
        waitForTaskToken: String(s.Resource).endsWith('.waitForTaskToken'),
        ...(s.OutputPath !== undefined ? { outputPath: s.OutputPath as string } : {}),
        ...(s.ResultPath !== undefined ? { resultPath: s.ResultPath as string | null } : {}),
        ...(s.TimeoutSecondsPath ? { timeoutSecondsPath: s.TimeoutSecondsPath as string } : {}),
        ...(timeout ? { onTimeout: { next: timeout.Next, resultPath: timeout.ResultPath } } : {}),
        ...(s.Next ? { next: s.Next as string } : {}),
      };
    }
    case 'Choice':
      return {
        type: 'Choice',
        choices: (s.Choices as Record<string, unknown>[]).map((rule) => {
          const operator = operators.find((op) => op in rule);
          if (!operator) throw new Error(`${name}: a Choice rule the simulation cannot evaluate`);
          return {
            variable: rule.Variable as string,
            operator,
            value: rule[operator] as string,
            next: rule.Next as string,
          };
        }),
        ...(s.Default ? { default: s.Default as string } : {}),
      };
    case 'Pass':
      return { type: 'Pass', parameters: s.Parameters as Record<string, unknown>, next: s.Next as string };
    case 'Wait':
      return { type: 'Wait', timestampPath: s.TimestampPath as string, next: s.Next as string };
    case 'Succeed':
      return { type: 'Succeed' };
    default:
      throw new Error(`${name}: a ${s.Type} state the simulation cannot walk`);
  }
}

const graphFile = fileURLToPath(new URL('./workflowGraph.json', import.meta.url));

/** The projection kept beside the simulator. */
export function storedWorkflowGraph(): WorkflowGraph {
  return JSON.parse(readFileSync(graphFile, 'utf8')) as WorkflowGraph;
}

/** The value at a JSONPath such as `$.decision.action` (dotted names only, as the definition uses). */
export function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of keysOf(path)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** A path's names, split once per path (the definition has a few dozen; a run reads them millions of times). */
const pathKeys = new Map<string, string[]>();
function keysOf(path: string): string[] {
  let keys = pathKeys.get(path);
  if (!keys) {
    keys = path === '$' ? [] : path.replace(/^\$\./, '').split('.');
    pathKeys.set(path, keys);
  }
  return keys;
}

/** Whether a Choice rule matches the state data. */
export function ruleMatches(rule: ChoiceRule, data: unknown): boolean {
  const value = valueAt(data, rule.variable);
  if (rule.operator === 'NumericGreaterThan') return typeof value === 'number' && value > Number(rule.value);
  if (rule.operator === 'IsPresent') return (value !== undefined) === rule.value;
  return value === rule.value;
}

/** The state data after a Pass state: its Parameters with `key.$` paths read from the input. */
export function passParameters(parameters: Record<string, unknown>, data: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$') ? [key.slice(0, -2), valueAt(data, String(value))] : [key, value],
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const { synthesizeWorkflow } = await import('../local/synthesizedWorkflow');
  const { definition, functionArns } = synthesizeWorkflow();
  writeFileSync(graphFile, `${JSON.stringify(projectWorkflow(definition, functionArns), null, 2)}\n`);
  console.log(`wrote ${graphFile}`);
}
