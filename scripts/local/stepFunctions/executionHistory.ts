import type { LambdaTask } from './lambdaTasks';
import type { TaskInvocation } from './taskInvocation';

/** One event of GetExecutionHistory, in the AWS shape (`timestamp` in epoch seconds, `<type>EventDetails`). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** `<type>EventDetails`, e.g. `stateEnteredEventDetails`. */
  [details: string]: unknown;
}

/** An event's type and its `<type>EventDetails`, before it gets an id. */
export interface HistoryEntry {
  type: string;
  details?: Record<string, unknown>;
}

/** Appends `entry` to `history`, numbered and linked to the previous event as AWS does. */
export function appendHistory(history: HistoryEvent[], entry: HistoryEntry, timestampMs = Date.now()): void {
  const previousEventId = history.at(-1)?.id ?? 0;
  const event: HistoryEvent = {
    id: previousEventId + 1,
    previousEventId,
    timestamp: timestampMs / 1000,
    type: entry.type,
  };
  if (entry.details)
    event[`${entry.type.charAt(0).toLowerCase()}${entry.type.slice(1)}EventDetails`] = entry.details;
  history.push(event);
}

const untruncated = { truncated: false };

export const executionStarted = (input: string, roleArn: string): HistoryEntry => ({
  type: 'ExecutionStarted',
  details: { input, inputDetails: untruncated, roleArn },
});

export const executionSucceeded = (output: string): HistoryEntry => ({
  type: 'ExecutionSucceeded',
  details: { output, outputDetails: untruncated },
});

/** ExecutionFailed, ExecutionAborted or ExecutionTimedOut. */
export const executionClosed = (type: string, error?: string, cause?: string): HistoryEntry => ({
  type,
  details: { error, cause },
});

/** `<StateType>StateEntered`, e.g. TaskStateEntered, ChoiceStateEntered. */
export const stateEntered = (stateType: string, name: string, input: unknown): HistoryEntry => ({
  type: `${stateType}StateEntered`,
  details: { name, input: JSON.stringify(input), inputDetails: untruncated },
});

export const stateExited = (stateType: string, name: string, output: unknown): HistoryEntry => ({
  type: `${stateType}StateExited`,
  details: { name, output: JSON.stringify(output), outputDetails: untruncated },
});

export const mapIteration = (type: string, name: string, index: number): HistoryEntry => ({
  type,
  details: { name, index },
});

// Optimized integrations report Task* events with `resourceType`/`resource`; a Task whose Resource is a
// function ARN reports LambdaFunction* events instead.
const taskSource = (task: LambdaTask) => ({ resourceType: 'lambda', resource: task.resource });

/** TaskScheduled and TaskStarted (or LambdaFunctionScheduled and LambdaFunctionStarted) of one attempt. */
export function taskStarted(invocation: TaskInvocation, region: string): HistoryEntry[] {
  const { task, parameters, timeoutSeconds, heartbeatSeconds } = invocation;
  if (task.pattern === 'function') {
    const details = { resource: task.resource, input: JSON.stringify(parameters), inputDetails: untruncated };
    return [
      { type: 'LambdaFunctionScheduled', details: { ...details, timeoutInSeconds: timeoutSeconds } },
      { type: 'LambdaFunctionStarted' },
    ];
  }
  const scheduled = {
    ...taskSource(task),
    region,
    parameters: JSON.stringify(parameters),
    timeoutInSeconds: timeoutSeconds,
    heartbeatInSeconds: heartbeatSeconds,
  };
  return [
    { type: 'TaskScheduled', details: scheduled },
    { type: 'TaskStarted', details: taskSource(task) },
  ];
}

/** TaskSucceeded/TaskFailed/TaskTimedOut (or the LambdaFunction* equivalent) of a settled attempt. */
export function taskEnded(invocation: TaskInvocation): HistoryEntry | undefined {
  const { task, outcome } = invocation;
  if (!outcome) return undefined;
  const prefix = task.pattern === 'function' ? 'LambdaFunction' : 'Task';
  const source = task.pattern === 'function' ? {} : taskSource(task);
  const type = `${prefix}${{ succeeded: 'Succeeded', failed: 'Failed', timedOut: 'TimedOut' }[outcome.kind]}`;
  const result =
    outcome.kind === 'succeeded'
      ? { output: JSON.stringify(outcome.output), outputDetails: untruncated }
      : { error: outcome.error, cause: outcome.cause };
  return { type, details: { ...source, ...result } };
}
