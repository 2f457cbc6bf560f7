import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { AslState } from './aslDefinition';
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
import type { ExecutionRecord, ExecutionStatus } from './executionStore';
import { invokeLambda, invokeResponse, type LambdaTask, type LocalLambdaHandler } from './lambdaTasks';
import { RunEndedError, TaskInvocation } from './taskInvocation';
import { type ClosedTokenReason, newTaskToken, type TaskTokens } from './taskTokens';

type LibraryRun = ReturnType<StateMachine['run']>;
type LibraryEvent = LibraryRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type StateEvent = Extract<LibraryEvent, { state: unknown }>;
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type TaskResult = ReturnType<TaskHandlers[string]>;

/** What every run of the one state machine shares. */
export interface RunEnvironment {
  /** The library machine starting at `startAt` (the definition's own StartAt, or a resumed state). */
  machineFrom(startAt: string | undefined): StateMachine;
  states: Map<string, AslState>;
  topLevelStates: Set<string>;
  tasks: Map<string, LambdaTask>;
  lambdas: Record<string, LocalLambdaHandler>;
  tokens: TaskTokens;
  statesTimeoutError: () => Error;
  stateMachineArn: string;
  region: string;
  roleArn: string;
  save(record: ExecutionRecord): void;
  onEnded(record: ExecutionRecord): void;
  logger: { error(msg: string, extra?: object): void };
}

/**
 * One aws-local-stepfunctions run of an execution, from its start or resumed at `record.resumeFrom`. It
 * runs each Task on the local Lambda handlers, hands out task tokens, and turns the library's event log
 * into the execution's AWS history and status.
 */
export class ExecutionRun {
  /** Task attempts the library has called, waiting for their StateEntered/StateRetried event (FIFO per state). */
  private readonly calledTasks = new Map<string, TaskInvocation[]>();
  /** The attempt in progress per state (and Map iteration), to report how it ended. */
  private readonly attempts = new Map<string, TaskInvocation>();
  private readonly openTasks = new Set<TaskInvocation>();
  private readonly libraryRun: LibraryRun;
  private tokenSlot?: string;
  /** A resumed run enters its first state again; the history already has that entry. */
  private skipEntry: boolean;
  private ended = false;

  constructor(
    private readonly record: ExecutionRecord,
    private readonly env: RunEnvironment,
  ) {
    const resume = record.resumeFrom;
    this.skipEntry = resume !== undefined;
    this.libraryRun = env
      .machineFrom(resume?.stateName)
      .run(resume ? resume.input : JSON.parse(record.input), {
        context: this.context(),
        overrides: { taskResourceLocalHandlers: this.taskHandlers() },
      });
    // The outcome is read from the event log, which reports it before the result settles.
    this.libraryRun.result.catch(() => undefined);
    this.follow().catch((error: unknown) =>
      env.logger.error('execution history failed', { error, arn: record.executionArn }),
    );
  }

  /**
   * Ends the run without completing it: StopExecution (`stopped`) or endpoint shutdown (`replaced`: the
   * tokens stay open on disk and the resumed run hands out new ones).
   */
  stop(reason: Extract<ClosedTokenReason, 'stopped' | 'replaced'>): void {
    if (this.ended) return;
    this.ended = true;
    this.abandonOpenTasks(reason);
    this.libraryRun.abort();
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
    return {
      Execution: { Id: record.executionArn, Name: record.name, RoleArn: env.roleArn },
      StateMachine: { Id: env.stateMachineArn, Name: env.stateMachineArn.split(':').at(-1) },
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

  private runTask(stateName: string, task: LambdaTask, parameters: unknown): TaskResult {
    // The library resolved this state's Parameters (reading `$$.Task.Token`, if at all) just before this call.
    const token = this.tokenSlot ?? newTaskToken();
    this.tokenSlot = undefined;
    // An aborted run still retries a Task that failed in flight: nothing may run any more.
    if (this.ended) return Promise.reject(new RunEndedError());
    const state = this.env.states.get(stateName) as AslState;
    const invocation = new TaskInvocation(
      stateName,
      state,
      task,
      parameters,
      this.env.statesTimeoutError,
      (settled) => this.taskSettled(settled),
    );
    this.openTasks.add(invocation);
    this.calledTasks.set(stateName, [...(this.calledTasks.get(stateName) ?? []), invocation]);
    const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    if (task.pattern === 'callback') {
      invocation.token = token;
      this.env.tokens.open(token, invocation);
      this.record.taskTokens[token] = 'open';
    }
    const call =
      task.pattern === 'function'
        ? invokeLambda(this.env.lambdas, task.resource, parameters)
        : invokeLambda(this.env.lambdas, FunctionName, Payload);
    call.then(
      (result) => {
        if (task.pattern === 'invoke') invocation.succeed(invokeResponse(result));
        // A callback task ends with SendTaskSuccess/Failure on its token, not when the function returns.
        if (task.pattern === 'function') invocation.succeed(result);
      },
      (error: unknown) => invocation.failWith(error),
    );
    return invocation.result as TaskResult;
  }

  private taskSettled(invocation: TaskInvocation): void {
    this.openTasks.delete(invocation);
    if (invocation.token && invocation.outcome) this.closeToken(invocation.token, invocation.outcome.kind);
  }

  private closeToken(token: string, reason: ClosedTokenReason): void {
    this.env.tokens.close(token, reason);
    if (reason !== 'replaced') this.record.taskTokens[token] = reason;
    this.env.save(this.record);
  }

  private abandonOpenTasks(reason: ClosedTokenReason): void {
    for (const invocation of this.openTasks) {
      invocation.abandon();
      if (invocation.token) this.closeToken(invocation.token, reason);
    }
    this.openTasks.clear();
  }

  private async follow(): Promise<void> {
    for await (const event of this.libraryRun.eventLogs) {
      // Events the library flushes after StopExecution or shutdown are not part of the execution any more.
      if (this.ended) continue;
      this.apply(event);
      this.env.save(this.record);
    }
  }

  private apply(event: LibraryEvent): void {
    switch (event.type) {
      case 'StateEntered':
        this.stateEntered(event);
        break;
      case 'StateRetried':
        if (event.state.type === 'Task') this.attemptStarted(event);
        break;
      case 'StateFailed':
        if (event.state.type === 'Task') this.attemptEnded(event);
        break;
      case 'StateExited':
        if (event.state.type === 'Task') this.attemptEnded(event);
        this.append(stateExited(event.state.type, event.state.name, event.state.output), event.timestamp);
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
    if (this.skipEntry) this.skipEntry = false;
    else this.append(stateEntered(type, name, input), event.timestamp);
    if (this.env.topLevelStates.has(name)) this.record.resumeFrom = { stateName: name, input };
    if (type === 'Task') this.attemptStarted(event);
  }

  private attemptStarted(event: StateEvent): void {
    const invocation = this.calledTasks.get(event.state.name)?.shift();
    // None when the state failed before calling Lambda (e.g. a Parameters path selected nothing).
    if (!invocation) return;
    this.attempts.set(attemptKey(event), invocation);
    invocation.startClocks(event.state.input);
    for (const entry of taskStarted(invocation, this.env.region)) this.append(entry, event.timestamp);
  }

  private attemptEnded(event: StateEvent): void {
    const invocation = this.attempts.get(attemptKey(event));
    const entry = invocation && taskEnded(invocation);
    if (!entry) return;
    this.attempts.delete(attemptKey(event));
    this.append(entry, event.timestamp);
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
