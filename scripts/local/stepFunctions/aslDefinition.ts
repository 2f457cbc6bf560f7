/** The parts of an Amazon States Language state this endpoint reads; everything else passes through. */
export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
  [field: string]: unknown;
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

// AWS's default and maximum Task timeout (99999999 s, about three years). aws-local-stepfunctions would
// default to 60 s instead, so the runtime copy states it explicitly.
const awsMaxTaskTimeoutSeconds = 99_999_999;

/** Every state of a machine by name, including those inside Parallel branches and Map processors. */
export function statesByName(machine: AslMachine): Map<string, AslState> {
  const states = new Map<string, AslState>();
  const visit = (m: AslMachine) => {
    for (const [name, state] of Object.entries(m.States)) {
      states.set(name, state);
      for (const nested of nestedMachines(state)) visit(nested);
    }
  };
  visit(machine);
  return states;
}

function nestedMachines(state: AslState): AslMachine[] {
  return [
    ...(state.Branches ?? []),
    ...(state.ItemProcessor ? [state.ItemProcessor] : []),
    ...(state.Iterator ? [state.Iterator] : []),
  ];
}

/**
 * The copy of `definition` handed to aws-local-stepfunctions. It differs in Task timeouts only: the
 * library resolves `TimeoutSecondsPath` against the task's effective Parameters (AWS: against the state
 * input, so CDK's `Timeout.at('$.x')` fails there with States.Runtime), so the endpoint enforces every
 * Task timeout itself and the library is told AWS's maximum. `startAt` replaces `StartAt` when resuming.
 */
export function runtimeDefinition(definition: AslMachine, startAt = definition.StartAt): AslMachine {
  const copyMachine = (m: AslMachine): AslMachine => ({
    ...m,
    States: Object.fromEntries(Object.entries(m.States).map(([name, state]) => [name, copyState(state)])),
  });
  const copyState = (state: AslState): AslState => {
    const copy: AslState = { ...state };
    if (state.Type === 'Task') {
      delete copy.TimeoutSecondsPath;
      copy.TimeoutSeconds = awsMaxTaskTimeoutSeconds;
    }
    if (state.Branches) copy.Branches = state.Branches.map(copyMachine);
    if (state.ItemProcessor) copy.ItemProcessor = copyMachine(state.ItemProcessor);
    if (state.Iterator) copy.Iterator = copyMachine(state.Iterator);
    return copy;
  };
  return { ...copyMachine(definition), StartAt: startAt };
}

/**
 * Resolves an ASL reference path (`$`, `$.a.b`, `$['a']`, `$.list[0]`) in `document`; `undefined` when
 * it selects nothing.
 */
export function resolveReferencePath(path: string, document: unknown): unknown {
  if (!path.startsWith('$')) return undefined;
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]/g) ?? [];
  if (steps.join('') !== path.slice(1)) return undefined;
  let value = document;
  for (const step of steps) {
    const key = step.startsWith('.')
      ? step.slice(1)
      : step.startsWith("['")
        ? step.slice(2, -2)
        : Number(step.slice(1, -1));
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    // A name selects a field of an object only (not an array's `length`).
    if (Array.isArray(value) !== (typeof key === 'number')) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
