import { type AslState, resolveReferencePath } from './aslDefinition';
import { type LambdaTask, TaskError } from './lambdaTasks';
import { type CallbackTarget, taskTimedOut } from './taskTokens';

/** How one attempt of a Task state ended, as its history event reports it. */
export type TaskOutcome =
  | { kind: 'succeeded'; output: unknown }
  | { kind: 'failed'; error: string; cause: string }
  | { kind: 'timedOut'; error: string; cause: string };

/** What a Task attempt reports to its run; both resolve once the change is durable. */
export interface TaskInvocationHooks {
  settled(invocation: TaskInvocation): Promise<void>;
  heartbeat(invocation: TaskInvocation): Promise<void>;
}

/**
 * One attempt of a Task state: the promise aws-local-stepfunctions awaits, settled by the Lambda result, a
 * callback on its task token, or its timeout/heartbeat clock. Only the first settlement counts, and the
 * library learns of it only once the run has made it durable: after a crash the outcome is not lost.
 */
export class TaskInvocation implements CallbackTarget {
  readonly result: Promise<unknown>;
  outcome?: TaskOutcome;
  /** The task token handed to the function, for callback tasks. */
  token?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Epoch ms deadlines of the running clocks. */
  timeoutAt?: number;
  heartbeatAt?: number;
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
    private readonly hooks: TaskInvocationHooks,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A resumed attempt may settle before the library awaits it; the library still gets the rejection.
    this.result.catch(() => undefined);
  }

  succeed(output: unknown): Promise<() => void> {
    return this.settleOrRefuse({ kind: 'succeeded', output }, () => this.resolveResult(output));
  }

  fail(error: string, cause: string): Promise<() => void> {
    return this.settleOrRefuse({ kind: 'failed', error, cause }, () =>
      this.rejectResult(new TaskError(error, cause)),
    );
  }

  /** Fails with the error a failed Lambda invocation (or a bad timeout path) carries. */
  failWith(error: unknown): void {
    const { name, message } =
      error instanceof Error ? error : new TaskError('States.TaskFailed', String(error));
    this.settleAndGoOn({ kind: 'failed', error: name, cause: message }, () =>
      this.rejectResult(new TaskError(name, message)),
    );
  }

  /** The Lambda result of a task that ends when its function returns. */
  succeedWith(output: unknown): void {
    this.settleAndGoOn({ kind: 'succeeded', output }, () => this.resolveResult(output));
  }

  /** SendTaskHeartbeat: the heartbeat clock starts again. */
  heartbeat(): Promise<void> {
    if (this.closed) return Promise.reject(taskTimedOut(this.outcome?.kind ?? 'stopped'));
    if (this.heartbeatSeconds === undefined) return Promise.resolve();
    this.startHeartbeatClock(Date.now() + this.heartbeatSeconds * 1000);
    return this.hooks.heartbeat(this);
  }

  /**
   * Reads `TimeoutSeconds[Path]` and `HeartbeatSeconds[Path]`. AWS resolves the paths against the state
   * input (not the Parameters result); a path that selects no positive integer fails the state with
   * States.Runtime, thrown here.
   */
  resolveClocks(stateInput: unknown): void {
    this.timeoutSeconds = clockSeconds(this.state, 'Timeout', stateInput);
    this.heartbeatSeconds = clockSeconds(this.state, 'Heartbeat', stateInput);
  }

  /** Starts the clocks, to end at the given deadlines (after a restart: those set before it). */
  startClocks(timeoutAt?: number, heartbeatAt?: number): void {
    if (this.closed) return;
    if (timeoutAt !== undefined) {
      this.timeoutAt = timeoutAt;
      this.timeoutTimer = setTimeout(
        () =>
          // The library's own States.Timeout error: its Retry/Catch keep States.TaskFailed from matching it, as AWS does.
          this.settleAndGoOn({ kind: 'timedOut', error: 'States.Timeout', cause: 'Task timed out' }, () =>
            this.rejectResult(this.statesTimeoutError()),
          ),
        Math.max(0, timeoutAt - Date.now()),
      );
    }
    if (heartbeatAt !== undefined) this.startHeartbeatClock(heartbeatAt);
  }

  /** Hands the library an outcome recorded before a restart; it is durable already. */
  replay(outcome: TaskOutcome): void {
    if (this.closed) return;
    this.closed = true;
    this.outcome = outcome;
    if (outcome.kind === 'succeeded') this.resolveResult(outcome.output);
    else if (outcome.kind === 'failed') this.rejectResult(new TaskError(outcome.error, outcome.cause));
    else if (outcome.error === 'States.Timeout') this.rejectResult(this.statesTimeoutError());
    else this.rejectResult(new TaskError(outcome.error, outcome.cause));
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

  private startHeartbeatClock(heartbeatAt: number): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatAt = heartbeatAt;
    this.heartbeatTimer = setTimeout(
      () => {
        const cause = `No heartbeat within ${this.heartbeatSeconds} seconds`;
        this.settleAndGoOn({ kind: 'timedOut', error: 'States.HeartbeatTimeout', cause }, () =>
          this.rejectResult(new TaskError('States.HeartbeatTimeout', cause)),
        );
      },
      Math.max(0, heartbeatAt - Date.now()),
    );
  }

  /** A callback: refused with TaskTimedOut when the attempt is over already (e.g. a concurrent callback). */
  private settleOrRefuse(outcome: TaskOutcome, goOn: () => void): Promise<() => void> {
    if (this.closed) return Promise.reject(taskTimedOut(this.outcome?.kind ?? 'stopped'));
    return this.settle(outcome, goOn);
  }

  /** An outcome nobody waits an answer for: the library goes on as soon as it is durable. */
  private settleAndGoOn(outcome: TaskOutcome, goOn: () => void): void {
    if (this.closed) return;
    // A failed write is logged by the store; the library goes on either way.
    this.settle(outcome, goOn).then(
      (release) => release(),
      () => undefined,
    );
  }

  private settle(outcome: TaskOutcome, goOn: () => void): Promise<() => void> {
    this.closed = true;
    this.outcome = outcome;
    this.stopClocks();
    return this.hooks.settled(this).then(
      () => goOn,
      (error: unknown) => {
        goOn();
        throw error;
      },
    );
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
