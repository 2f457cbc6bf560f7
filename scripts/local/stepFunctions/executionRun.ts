import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { type AslState, resolveReferencePath } from './aslDefinition';
import {
  appendHistory,
  executionFailed,
  executionSucceeded,
  executionTimedOut,
  type HistoryEntry,
  mapIteration,
  stateEntered,
  stateExited,
  taskEnded,
  taskStarted,
} from './executionHistory';
import type { ExecutionRecord, ExecutionStatus, ResumePoint, TaskAttempt } from './executionStore';
import { invokeLambda, invokeResponse, type LambdaTask, type LocalLambdaHandler } from './lambdaTasks';
import { RunEndedError, TaskInvocation } from './taskInvocation';
import { type ClosedTokenReason, newTaskToken, type TaskTokens } from './taskTokens';

type LibraryRun = ReturnType<StateMachine['run']>;
type LibraryEvent = LibraryRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type StateEvent = Extract<LibraryEvent, { state: unknown }>;
type RetriedEvent = Extract<LibraryEvent, { type: 'StateRetried' }>;
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type TaskResult = ReturnType<TaskHandlers[string]>;

/** The library machine a run starts with. */
export interface RunMachine {
  machine: StateMachine;
  /**
   * Set when the machine's first state has fewer retries left (a resumed run): gives that state its
   * full `Retry` back, for when the run enters it again.
   */
  restoreRetries?: () => void;
}

/** What every run of the one state machine shares. */
export interface RunEnvironment {
  /** The machine starting at the definition's StartAt, or at `resume` with the retries it has used. */
  machineFrom(resume: ResumePoint | undefined): RunMachine;
  states: Map<string, AslState>;
  topLevelStates: Set<string>;
  tasks: Map<string, LambdaTask>;
  lambdas: Record<string, LocalLambdaHandler>;
  tokens: TaskTokens;
  statesTimeoutError: () => Error;
  stateMachineArn: string;
  region: string;
  roleArn: string;
  /** Resolves once the record as it is now is durable. */
  save(record: ExecutionRecord): Promise<void>;
  onEnded(record: ExecutionRecord): void;
  logger: { error(msg: string, extra?: object): void };
}

/**
 * One aws-local-stepfunctions run of an execution, from its start or resumed at `record.resumeFrom`. It
 * runs each Task on the local Lambda handlers, hands out task tokens, and turns the library's event log
 * into the execution's AWS history and status.
 *
 * Durability: a Task attempt is recorded (token, deadlines, history) before its function is invoked, and
 * its outcome before the library sees it, so a restart neither loses a completed callback nor forgets a
 * token it handed out. The top-level state the execution is in, with its progress, is `record.resumeFrom`.
 */
export class ExecutionRun {
  /** Task attempts the library has called, waiting for their StateEntered/StateRetried event (FIFO per state). */
  private readonly calledTasks = new Map<string, TaskInvocation[]>();
  /** StateEntered/StateRetried events of Tasks, waiting for the library's call (FIFO per state). */
  private readonly enteredTasks = new Map<string, StateEvent[]>();
  /** The attempt in progress per state (and Map iteration). */
  private readonly attempts = new Map<string, TaskInvocation>();
  /** The persisted attempt of the top-level Task state, per invocation. */
  private readonly attemptRecords = new WeakMap<TaskInvocation, TaskAttempt>();
  private readonly openTasks = new Set<TaskInvocation>();
  private readonly libraryRun: LibraryRun;
  /** Resumed runs only: the first state's remaining wait, read by the library when it enters that state. */
  private readonly waitTimeOverrides: Record<string, number> = {};
  private tokenSlot?: string;
  /** A resumed run enters its first state again; the history already has that entry. */
  private resumedEntry: boolean;
  /** ...and, if the state had been exited already, that exit. */
  private resumedExit: boolean;
  /** The attempt that was in progress (or ended but not yet handed to the library) before the restart. */
  private resumedTask?: TaskInvocation;
  /** Retries the resumed state had made before the restart; its machine counts only the ones after it. */
  private retriesBefore: number[];
  private restoreRetries?: () => void;
  private ended = false;

  constructor(
    private readonly record: ExecutionRecord,
    private readonly env: RunEnvironment,
  ) {
    const resume = record.resumeFrom;
    this.resumedEntry = resume !== undefined;
    this.resumedExit = resume?.exited === true;
    this.retriesBefore = resume?.retries ?? [];
    if (resume?.waitUntil !== undefined) {
      this.waitTimeOverrides[resume.stateName] = Math.max(0, resume.waitUntil - Date.now());
    }
    // First, as it throws for a state the definition no longer has: nothing of the run may be live then.
    const { machine, restoreRetries } = env.machineFrom(resume);
    this.restoreRetries = restoreRetries;
    if (resume?.attempt) this.resumedTask = this.resumeAttempt(resume.stateName, resume.attempt);
    this.libraryRun = machine.run(resume ? resume.input : JSON.parse(record.input), {
      context: this.context(),
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(),
        waitTimeOverrides: this.waitTimeOverrides,
      },
    });
    // The outcome is read from the event log, which reports it before the result settles.
    this.libraryRun.result.catch(() => undefined);
    this.follow().catch((error: unknown) =>
      env.logger.error('execution history failed', { error, arn: record.executionArn }),
    );
  }

  /**
   * Ends the run without completing it: StopExecution (`stopped`) or endpoint shutdown (`replaced`: the
   * tokens stay open on disk and the resumed run accepts them again).
   */
  stop(reason: Extract<ClosedTokenReason, 'stopped' | 'replaced'>): void {
    if (this.ended) return;
    this.ended = true;
    this.abandonOpenTasks(reason);
    this.libraryRun.abort();
  }

  /**
   * Whether the run waits on something outside it, with no step of its own under way: in a Wait state,
   * or in a callback task whose function has returned and whose token is still open. Only these waits
   * end by time or by someone else, so a virtual clock may skip forward (tests) while every run rests.
   */
  get resting(): boolean {
    if (this.ended) return true;
    const resume = this.record.resumeFrom;
    if (!resume || resume.exited) return false;
    if (resume.waitUntil !== undefined) return true;
    return resume.attempt?.invoked === true && resume.attempt.outcome === undefined;
  }

  /** The `$$` context object; `$$.Task.Token` is minted when a state's Parameters read it. */
  private context(): RunOptions['context'] {
    const { record, env } = this;
    const task = {};
    Object.defineProperty(task, 'Token', {
      enumerable: true,
      get: () => {
        this.tokenSlot ??= newTaskToken();
        return this.tokenSlot;
      },
    });
    // `$$.State.EnteredTime` is read when a state's Parameters are, as the attempt starts: the time of
    // the entry for a first attempt, later for each retry (where AWS keeps the entry's time and counts
    // `RetryCount`), so a later attempt sorts after an earlier one here too. A resumed attempt keeps
    // the parameters recorded before the restart.
    const state = {};
    Object.defineProperty(state, 'EnteredTime', { enumerable: true, get: () => new Date().toISOString() });
    Object.defineProperty(state, 'RetryCount', { enumerable: true, get: () => 0 });
    return {
      Execution: { Id: record.executionArn, Name: record.name, RoleArn: env.roleArn },
      StateMachine: { Id: env.stateMachineArn, Name: env.stateMachineArn.split(':').at(-1) },
      State: state,
      Task: task,
    };
  }

  private taskHandlers(): TaskHandlers {
    return Object.fromEntries(
      [...this.env.tasks].map(([stateName, task]) => [
        stateName,
        (parameters) => this.runTask(stateName, task, parameters),
      ]),
    );
  }

  private newInvocation(stateName: string, task: LambdaTask, parameters: unknown): TaskInvocation {
    const invocation = new TaskInvocation(
      stateName,
      this.env.states.get(stateName) as AslState,
      task,
      parameters,
      this.env.statesTimeoutError,
      {
        settled: (settled) => this.taskSettled(settled),
        heartbeat: (beating) => this.heartbeat(beating),
      },
    );
    this.openTasks.add(invocation);
    return invocation;
  }

  /**
   * The attempt a restart interrupted, live again before the library reaches it: its token accepts
   * callbacks from the start (with the deadlines set before the restart), or its recorded outcome waits
   * to be handed over.
   */
  private resumeAttempt(stateName: string, attempt: TaskAttempt): TaskInvocation | undefined {
    const task = this.env.tasks.get(stateName);
    if (!task) return undefined;
    const invocation = this.newInvocation(stateName, task, attempt.parameters);
    this.attemptRecords.set(invocation, attempt);
    if (attempt.outcome) return invocation;
    invocation.timeoutSeconds = attempt.timeoutSeconds;
    invocation.heartbeatSeconds = attempt.heartbeatSeconds;
    if (task.pattern === 'callback' && attempt.token) {
      invocation.token = attempt.token;
      this.env.tokens.open(attempt.token, invocation);
    }
    invocation.startClocks(attempt.timeoutAt, attempt.heartbeatAt);
    return invocation;
  }

  private runTask(stateName: string, task: LambdaTask, parameters: unknown): TaskResult {
    // The library resolved this state's Parameters (reading `$$.Task.Token`, if at all) just before this call.
    const token = this.tokenSlot ?? newTaskToken();
    this.tokenSlot = undefined;
    // An aborted run still retries a Task that failed in flight: nothing may run any more.
    if (this.ended) return Promise.reject(new RunEndedError());
    // Only the run's first call can be the resumed attempt: the run starts in its state.
    const resumed = this.resumedTask?.stateName === stateName ? this.resumedTask : undefined;
    this.resumedTask = undefined;
    const invocation = resumed ?? this.newInvocation(stateName, task, parameters);
    if (!resumed && task.pattern === 'callback') invocation.token = token;
    const outcome = resumed && this.attemptRecords.get(resumed)?.outcome;
    if (outcome) {
      invocation.replay(outcome);
      this.openTasks.delete(invocation);
    }
    const entered = this.enteredTasks.get(stateName)?.shift();
    if (entered) this.begin(invocation, entered);
    else this.calledTasks.set(stateName, [...(this.calledTasks.get(stateName) ?? []), invocation]);
    return invocation.result as TaskResult;
  }

  /** A Task's StateEntered/StateRetried: pairs with the library's call for that attempt. */
  private taskEntered(event: StateEvent): void {
    const invocation = this.calledTasks.get(event.state.name)?.shift();
    if (invocation) this.begin(invocation, event);
    else this.enteredTasks.set(event.state.name, [...(this.enteredTasks.get(event.state.name) ?? []), event]);
  }

  /** Runs an attempt once both its call and its event are in: history first, durably, then the function. */
  private begin(invocation: TaskInvocation, event: StateEvent): void {
    this.attempts.set(attemptKey(event), invocation);
    // Only a resumed attempt has its record before it begins (a new one gets it in `beginNew`).
    const attempt = this.attemptRecords.get(invocation);
    if (attempt) {
      // Resumed: its history is written. A callback whose function returned keeps waiting on its token;
      // any other interrupted invocation runs again, at least once as Lambda does.
      if (!invocation.outcome && !attempt.invoked) this.invoke(invocation);
      return;
    }
    this.beginNew(invocation, event).catch((error: unknown) => invocation.failWith(error));
  }

  private async beginNew(invocation: TaskInvocation, event: StateEvent): Promise<void> {
    let clockError: unknown;
    try {
      invocation.resolveClocks(event.state.input);
    } catch (error) {
      clockError = error;
    }
    for (const entry of taskStarted(invocation, this.env.region)) this.append(entry, event.timestamp);
    if (clockError !== undefined) return invocation.failWith(clockError);
    const { token, parameters, timeoutSeconds, heartbeatSeconds } = invocation;
    const now = Date.now();
    const timeoutAt = timeoutSeconds === undefined ? undefined : now + timeoutSeconds * 1000;
    const heartbeatAt = heartbeatSeconds === undefined ? undefined : now + heartbeatSeconds * 1000;
    const resume = this.record.resumeFrom;
    if (resume?.stateName === invocation.stateName) {
      const attempt: TaskAttempt = {
        token,
        parameters,
        timeoutSeconds,
        heartbeatSeconds,
        timeoutAt,
        heartbeatAt,
      };
      resume.attempt = attempt;
      this.attemptRecords.set(invocation, attempt);
    }
    if (token) this.record.taskTokens[token] = 'open';
    // Durable before the function gets the token: a restart then waits on this token, with these deadlines.
    await this.env.save(this.record);
    if (this.ended) return;
    if (token) this.env.tokens.open(token, invocation);
    invocation.startClocks(timeoutAt, heartbeatAt);
    this.invoke(invocation);
  }

  private invoke(invocation: TaskInvocation): void {
    const { task, parameters } = invocation;
    const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    const call =
      task.pattern === 'function'
        ? invokeLambda(this.env.lambdas, task.resource, parameters)
        : invokeLambda(this.env.lambdas, FunctionName, Payload);
    call.then(
      (result) => {
        if (task.pattern === 'invoke') invocation.succeedWith(invokeResponse(result));
        if (task.pattern === 'function') invocation.succeedWith(result);
        // A callback task ends with SendTaskSuccess/Failure on its token, not when the function returns;
        // once it has returned, a restart must not invoke it again.
        const attempt = this.attemptRecords.get(invocation);
        if (task.pattern === 'callback' && attempt && !invocation.outcome) {
          attempt.invoked = true;
          this.saveSoon();
        }
      },
      (error: unknown) => invocation.failWith(error),
    );
  }

  /** An attempt's outcome: recorded (token closed, history, resume point) and durable before the library goes on. */
  private taskSettled(invocation: TaskInvocation): Promise<void> {
    this.openTasks.delete(invocation);
    const { token, outcome } = invocation;
    if (!outcome) return Promise.resolve();
    if (token) {
      this.env.tokens.close(token, outcome.kind);
      this.record.taskTokens[token] = outcome.kind;
    }
    const attempt = this.attemptRecords.get(invocation);
    if (attempt) attempt.outcome = outcome;
    const entry = taskEnded(invocation);
    if (entry) this.append(entry);
    return this.env.save(this.record);
  }

  private heartbeat(invocation: TaskInvocation): Promise<void> {
    const attempt = this.attemptRecords.get(invocation);
    if (attempt) attempt.heartbeatAt = invocation.heartbeatAt;
    return this.env.save(this.record);
  }

  private abandonOpenTasks(reason: ClosedTokenReason): void {
    for (const invocation of this.openTasks) {
      invocation.abandon();
      if (!invocation.token) continue;
      this.env.tokens.close(invocation.token, reason);
      if (reason !== 'replaced') this.record.taskTokens[invocation.token] = reason;
    }
    this.openTasks.clear();
  }

  private async follow(): Promise<void> {
    for await (const event of this.libraryRun.eventLogs) {
      // Events the library flushes after StopExecution or shutdown are not part of the execution any more.
      if (this.ended) continue;
      this.apply(event);
      this.saveSoon();
    }
  }

  /** Persists in the background: for steps with no effect outside the run, which a restart replays. */
  private saveSoon(): void {
    // The store logs a failed write.
    this.env.save(this.record).catch(() => undefined);
  }

  private apply(event: LibraryEvent): void {
    switch (event.type) {
      case 'StateEntered':
        this.stateEntered(event);
        break;
      case 'StateRetried':
        this.stateRetried(event);
        break;
      case 'StateFailed':
        if (event.state.type === 'Task') this.attemptEnded(event);
        break;
      case 'StateExited':
        if (event.state.type === 'Task') this.attemptEnded(event);
        this.stateExited(event);
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.append(mapIteration(event.type, event.parentState.name, event.index), event.timestamp);
        break;
      case 'ExecutionSucceeded': {
        const output = JSON.stringify(event.output);
        this.end('SUCCEEDED', executionSucceeded(output), { output }, event.timestamp);
        break;
      }
      case 'ExecutionFailed': {
        const cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
        const entry = executionFailed(event.Error, cause);
        this.end('FAILED', entry, { error: event.Error, cause }, event.timestamp);
        break;
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        const cause = 'The execution exceeded the TimeoutSeconds of the state machine';
        this.end('TIMED_OUT', executionTimedOut(error, cause), { error, cause }, event.timestamp);
        break;
      }
      // ExecutionStarted is recorded by StartExecution and ExecutionAborted by StopExecution; AWS history
      // has no events for retries, catches or single Parallel branches.
    }
  }

  private stateEntered(event: StateEvent): void {
    const { name, type, input } = event.state;
    if (this.resumedEntry) {
      this.resumedEntry = false;
      // The library read the remaining wait when it entered the state; a later entry waits in full.
      delete this.waitTimeOverrides[name];
    } else {
      this.append(stateEntered(type, name, input), event.timestamp);
      if (this.env.topLevelStates.has(name)) {
        this.restoreRetries?.();
        this.restoreRetries = undefined;
        this.retriesBefore = [];
        this.resumedExit = false;
        const state = this.env.states.get(name) as AslState;
        const waitUntil = type === 'Wait' ? waitEnd(state, input, event.timestamp) : undefined;
        this.record.resumeFrom = {
          stateName: name,
          input,
          ...(waitUntil === undefined ? {} : { waitUntil }),
        };
      }
    }
    if (type === 'Task') this.taskEntered(event);
  }

  private stateRetried(event: RetriedEvent): void {
    const resume = this.record.resumeFrom;
    if (resume?.stateName === event.state.name) {
      // A resumed machine's retriers are copies sharing `ErrorEquals` with the definition's.
      const retriers = (this.env.states.get(event.state.name)?.Retry ?? []) as { ErrorEquals: unknown }[];
      const index = retriers.findIndex((retrier) => retrier.ErrorEquals === event.retry.retrier.ErrorEquals);
      const retries = retriers.map((_, i) => resume.retries?.[i] ?? 0);
      if (index >= 0) retries[index] = (this.retriesBefore[index] ?? 0) + event.retry.attempt;
      resume.retries = retries;
      // The failed attempt is counted; a restart from here runs the next one.
      resume.attempt = undefined;
    }
    if (event.state.type === 'Task') this.taskEntered(event);
  }

  private stateExited(event: StateEvent): void {
    const { name, type, output } = event.state;
    const resume = this.record.resumeFrom;
    if (this.resumedExit && resume?.stateName === name) this.resumedExit = false;
    else this.append(stateExited(type, name, output), event.timestamp);
    if (resume?.stateName === name) resume.exited = true;
  }

  private attemptEnded(event: StateEvent): void {
    this.attempts.delete(attemptKey(event));
    // An entry whose call never came: the state failed before calling Lambda (e.g. a Parameters path
    // selected nothing).
    const waiting = this.enteredTasks.get(event.state.name);
    const index = waiting?.findIndex((entered) => attemptKey(entered) === attemptKey(event)) ?? -1;
    if (index >= 0) waiting?.splice(index, 1);
  }

  private end(
    status: ExecutionStatus,
    entry: HistoryEntry,
    fields: Partial<ExecutionRecord>,
    timestampMs: number,
  ): void {
    this.ended = true;
    this.abandonOpenTasks('stopped');
    Object.assign(this.record, { status, stopDate: timestampMs, ...fields });
    this.append(entry, timestampMs);
    this.env.onEnded(this.record);
  }

  private append(entry: HistoryEntry, timestampMs?: number): void {
    appendHistory(this.record.history, entry, timestampMs);
  }
}

function attemptKey(event: StateEvent): string {
  return `${event.index ?? ''}/${event.state.name}`;
}

/**
 * When a Wait state entered at `enteredAt` with `input` ends (epoch ms), as AWS computes it: from
 * `Seconds[Path]` or `Timestamp[Path]` of the effective input. `undefined` if the state would fail.
 */
function waitEnd(state: AslState, input: unknown, enteredAt: number): number | undefined {
  const effective =
    typeof state.InputPath === 'string' ? resolveReferencePath(state.InputPath, input) : input;
  const seconds =
    typeof state.SecondsPath === 'string'
      ? resolveReferencePath(state.SecondsPath, effective)
      : state.Seconds;
  if (typeof seconds === 'number') return enteredAt + seconds * 1000;
  const timestamp =
    typeof state.TimestampPath === 'string'
      ? resolveReferencePath(state.TimestampPath, effective)
      : state.Timestamp;
  const end = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(end) ? undefined : end;
}
