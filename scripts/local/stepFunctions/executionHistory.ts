import type { LambdaTask } from './lambdaTasks';
import type { TaskInvocation } from './taskInvocation';

/** One event of GetExecutionHistory, in the AWS shape (`timestamp` in epoch seconds). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** The event's details field, e.g. `stateEnteredEventDetails`. */
  [details: string]: unknown;
}

/** An event's type and details field, before it gets an id. */
export interface HistoryEntry {
  type: string;
  [details: string]: unknown;
}

/** Appends `entry` to `history`, numbered and linked to the previous event as AWS does. */
export function appendHistory(history: HistoryEvent[], entry: HistoryEntry, timestampMs = Date.now()): void {
  const previousEventId = history.at(-1)?.id ?? 0;
  history.push({ ...entry, id: previousEventId + 1, previousEventId, timestamp: timestampMs / 1000 });
}

const untruncated = { truncated: false };

export const executionStarted = (input: string, roleArn: string): HistoryEntry => ({
  type: 'ExecutionStarted',
  executionStartedEventDetails: { input, inputDetails: untruncated, roleArn },
});

export const executionSucceeded = (output: string): HistoryEntry => ({
  type: 'ExecutionSucceeded',
  executionSucceededEventDetails: { output, outputDetails: untruncated },
});

export const executionFailed = (error?: string, cause?: string): HistoryEntry => ({
  type: 'ExecutionFailed',
  executionFailedEventDetails: { error, cause },
});

export const executionAborted = (error?: string, cause?: string): HistoryEntry => ({
  type: 'ExecutionAborted',
  executionAbortedEventDetails: { error, cause },
});

export const executionTimedOut = (error: string, cause: string): HistoryEntry => ({
  type: 'ExecutionTimedOut',
  executionTimedOutEventDetails: { error, cause },
});

/** `<StateType>StateEntered`, e.g. TaskStateEntered, ChoiceStateEntered. */
export const stateEntered = (stateType: string, name: string, input: unknown): HistoryEntry => ({
  type: `${stateType}StateEntered`,
  stateEnteredEventDetails: { name, input: JSON.stringify(input), inputDetails: untruncated },
});

export const stateExited = (stateType: string, name: string, output: unknown): HistoryEntry => ({
  type: `${stateType}StateExited`,
  stateExitedEventDetails: { name, output: JSON.stringify(output), outputDetails: untruncated },
});

const mapIterationDetails = {
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
};

export const mapIteration = (
  type: keyof typeof mapIterationDetails,
  name: string,
  index: number,
): HistoryEntry => ({
  type,
  [mapIterationDetails[type]]: { name, index },
});

// Optimized integrations report Task* events with `resourceType`/`resource`; a Task whose Resource is a
// function ARN reports LambdaFunction* events instead.
const taskSource = (task: LambdaTask) => ({ resourceType: 'lambda', resource: task.resource });

/** TaskScheduled and TaskStarted (or LambdaFunctionScheduled and LambdaFunctionStarted) of one attempt. */
export function taskStarted(invocation: TaskInvocation, region: string): HistoryEntry[] {
  const { task, parameters, timeoutSeconds, heartbeatSeconds } = invocation;
  if (task.pattern === 'function') {
    return [
      {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource: task.resource,
          input: JSON.stringify(parameters),
          inputDetails: untruncated,
          timeoutInSeconds: timeoutSeconds,
        },
      },
      { type: 'LambdaFunctionStarted' },
    ];
  }
  return [
    {
      type: 'TaskScheduled',
      taskScheduledEventDetails: {
        ...taskSource(task),
        region,
        parameters: JSON.stringify(parameters),
        timeoutInSeconds: timeoutSeconds,
        heartbeatInSeconds: heartbeatSeconds,
      },
    },
    { type: 'TaskStarted', taskStartedEventDetails: taskSource(task) },
  ];
}

/** TaskSucceeded/TaskFailed/TaskTimedOut (or the LambdaFunction* equivalent) of a settled attempt. */
export function taskEnded(invocation: TaskInvocation): HistoryEntry | undefined {
  const { task, outcome } = invocation;
  if (!outcome) return undefined;
  const [prefix, source] = task.pattern === 'function' ? ['LambdaFunction', {}] : ['Task', taskSource(task)];
  const ending = { succeeded: 'Succeeded', failed: 'Failed', timedOut: 'TimedOut' }[outcome.kind];
  const result =
    outcome.kind === 'succeeded'
      ? { output: JSON.stringify(outcome.output), outputDetails: untruncated }
      : { error: outcome.error, cause: outcome.cause };
  // e.g. taskSucceededEventDetails, lambdaFunctionFailedEventDetails
  const detailsField = `${prefix.charAt(0).toLowerCase()}${prefix.slice(1)}${ending}EventDetails`;
  return { type: `${prefix}${ending}`, [detailsField]: { ...source, ...result } };
}
