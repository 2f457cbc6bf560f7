import { type AslState, resolveReferencePath } from './aslDefinition';
import { type LambdaTask, TaskError } from './lambdaTasks';
import type { CallbackTarget } from './taskTokens';

/** How one attempt of a Task state ended, as its history event reports it. */
export type TaskOutcome =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: string; cause: string }
  | { kind: 'timedOut'; error: string; cause: string };

/**
 * One attempt of a Task state: the promise aws-local-stepfunctions awaits, settled by the Lambda result, a
 * callback on its task token, or its timeout/heartbeat clock. Only the first settlement counts.
 */
export class TaskInvocation implements CallbackTarget {
  readonly result: Promise<unknown>;
  outcome?: TaskOutcome;
  /** The task token handed to the function, for callback tasks. */
  token?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  private resolveResult!: (value: unknown) => void;
  private rejectResult!: (error: Error) => void;
  private timeoutTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly stateName: string,
    readonly state: AslState,
    readonly task: LambdaTask,
    readonly parameters: unknown,
    private readonly statesTimeoutError: () => Error,
    private readonly onSettled: (invocation: TaskInvocation) => void,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
  }

  succeed(output: unknown): void {
    if (this.settle({ kind: 'succeeded', output })) this.resolveResult(output);
  }

  fail(error: string, cause: string): void {
    if (this.settle({ kind: 'failed', error, cause })) this.rejectResult(new TaskError(error, cause));
  }

  /** Fails with the error a failed Lambda invocation (or a bad timeout path) carries. */
  failWith(error: unknown): void {
    const { name, message } =
      error instanceof Error ? error : new TaskError('States.TaskFailed', String(error));
    this.fail(name, message);
  }

  /** SendTaskHeartbeat: the heartbeat clock starts again. */
  heartbeat(): void {
    if (this.closed || this.heartbeatSeconds === undefined) return;
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => this.heartbeatTimedOut(), this.heartbeatSeconds * 1000);
  }

  /**
   * Starts the `TimeoutSeconds[Path]` and `HeartbeatSeconds[Path]` clocks. AWS resolves the paths against
   * the state input (not the Parameters result), and a path that selects no positive integer fails the
   * state with States.Runtime.
   */
  startClocks(stateInput: unknown): void {
    try {
      this.timeoutSeconds = clockSeconds(this.state, 'Timeout', stateInput);
      this.heartbeatSeconds = clockSeconds(this.state, 'Heartbeat', stateInput);
    } catch (error) {
      this.failWith(error);
    }
    if (this.closed) return;
    if (this.timeoutSeconds !== undefined) {
      this.timeoutTimer = setTimeout(() => {
        // The library's own States.Timeout error: its Retry/Catch keep States.TaskFailed from matching it, as AWS does.
        if (this.settle({ kind: 'timedOut', error: 'States.Timeout', cause: 'Task timed out' })) {
          this.rejectResult(this.statesTimeoutError());
        }
      }, this.timeoutSeconds * 1000);
    }
    this.heartbeat();
  }

  /**
   * The run ended (stopped, failed elsewhere, or the endpoint shut down): stops the clocks and releases the
   * library's wait on this task, with an error it neither retries nor catches, so the aborted run unwinds
   * and clears its own timers. No outcome is recorded.
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopClocks();
    this.rejectResult(new RunEndedError());
  }

  private heartbeatTimedOut(): void {
    const cause = `No heartbeat within ${this.heartbeatSeconds} seconds`;
    if (this.settle({ kind: 'timedOut', error: 'States.HeartbeatTimeout', cause })) {
      this.rejectResult(new TaskError('States.HeartbeatTimeout', cause));
    }
  }

  private settle(outcome: TaskOutcome): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.outcome = outcome;
    this.stopClocks();
    this.onSettled(this);
    return true;
  }

  private stopClocks(): void {
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.heartbeatTimer);
  }
}

/**
 * Ends the wait of an aborted run. aws-local-stepfunctions reads `isRetryable`/`isCatchable` from its own
 * errors; false for both makes the state fail at once instead of running Retry or Catch.
 */
export class RunEndedError extends Error {
  override name = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

function clockSeconds(
  state: AslState,
  clock: 'Timeout' | 'Heartbeat',
  stateInput: unknown,
): number | undefined {
  const path = state[`${clock}SecondsPath`];
  const seconds =
    typeof path === 'string' ? resolveReferencePath(path, stateInput) : state[`${clock}Seconds`];
  if (seconds === undefined && typeof path !== 'string') return undefined;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
    const field = typeof path === 'string' ? `${clock}SecondsPath '${path}'` : `${clock}Seconds`;
    throw new TaskError('States.Runtime', `${field} is not a positive integer: ${JSON.stringify(seconds)}`);
  }
  return seconds;
}
