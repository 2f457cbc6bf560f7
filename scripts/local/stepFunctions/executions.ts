import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AslMachine, type AslState, runtimeDefinition, statesByName } from './aslDefinition';
import { appendHistory, executionAborted, executionFailed, executionStarted } from './executionHistory';
import { ExecutionRun, type RunEnvironment, type RunMachine } from './executionRun';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  ExecutionStore,
  type ResumePoint,
} from './executionStore';
import { type LambdaTask, type LocalLambdaHandler, lambdaTaskOf } from './lambdaTasks';
import { SfnError } from './sfnErrors';
import { type CallbackTarget, TaskTokens, taskTimedOut } from './taskTokens';

export interface ExecutionsOptions {
  definition: AslMachine;
  stateMachineArn: string;
  lambdas: Record<string, LocalLambdaHandler>;
  dataDir: string;
  statesTimeoutError: () => Error;
  /**
   * An execution that has rested this long (between this and twice this), waiting on a callback or a
   * Wait state with its record on disk, is parked: its run is freed until something wakes it. `undefined`
   * or not finite: never parked.
   */
  parkAfterMs?: number;
  logger: { info(msg: string, extra?: object): void; error(msg: string, extra?: object): void };
}

/** What ListExecutions reports of an execution. */
export type ExecutionSummary = Pick<
  ExecutionRecord,
  'executionArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

/** Resumes a parked execution and hands back what now answers its token. */
interface Waker {
  targetAfterWake(parked: ParkedExecution): Promise<CallbackTarget>;
}

/**
 * A RUNNING execution that waits (on a callback's token or a Wait state's end) with its run freed: its
 * record is on disk, and this is all of it that stays in memory, to route a callback on its token, to
 * wake it when its wait ends, and to list it. A callback wakes it (resumes its run from the record, as a
 * restart does) and is then handed to the resumed task.
 */
class ParkedExecution implements CallbackTarget {
  constructor(
    private readonly waker: Waker,
    readonly name: string,
    readonly startDate: number,
    /** The state it waits in, and when that wait ends by itself (epoch ms; none: no deadline). */
    readonly stateName: string,
    readonly until: number | undefined,
    /** The waiting callback task's token. */
    readonly token: string | undefined,
  ) {}

  async succeed(output: unknown): Promise<() => void> {
    return (await this.waker.targetAfterWake(this)).succeed(output);
  }

  async fail(error: string, cause: string): Promise<() => void> {
    return (await this.waker.targetAfterWake(this)).fail(error, cause);
  }

  async heartbeat(): Promise<void> {
    return (await this.waker.targetAfterWake(this)).heartbeat();
  }
}

/** How long a failed wake (its record could not be read) waits before its timer tries again. */
const wakeRetryMs = 1_000;

/**
 * The executions of the one state machine: started, stopped, persisted, parked and resumed.
 *
 * Memory follows the executions under way, not the waiting or closed ones:
 * - an execution runs in memory (its record, with its history, and its aws-local-stepfunctions run)
 *   while it moves;
 * - once it has rested for `parkAfterMs` (in a Wait state, or in a callback task whose function has
 *   returned) with its record on disk, it is parked: the run is freed and only a `ParkedExecution`
 *   stays. A callback on its token, its deadline (one timer for all parked executions) or a
 *   StopExecution wakes it: its record is read back and resumed exactly as after a restart;
 * - a closed execution's record moves to `closed/` on disk and leaves memory: DescribeExecution,
 *   GetExecutionHistory and ListExecutions read it from there, and a start checks the disk for a name
 *   used before.
 *
 * A resumed run loses what a restart loses (see localStepFunctions.ts): for a definition with an
 * execution-level `TimeoutSeconds` or reading `$$.Execution.Input`/`StartTime`, which a resume would
 * change, executions are never parked.
 */
export class Executions {
  readonly tokens = new TaskTokens();
  /** The records of the executions in memory: running, or closed and not yet on disk. */
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly runs = new Map<string, ExecutionRun>();
  /** Parked executions by name (kept while one is being woken, until its run is back). */
  private readonly parked = new Map<string, ParkedExecution>();
  /** Wakes under way, by name: every caller waits on the same one. */
  private readonly waking = new Map<string, Promise<void>>();
  /** History events of the parked executions, so that parking does not look like a change (`restingState`). */
  private parkedEvents = 0;
  /** Per run: its history length when the parking sweep last saw it resting. */
  private readonly seenResting = new WeakMap<ExecutionRun, number>();
  private sweeper?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private wakeTimerAt?: number;
  private closing = false;
  private readonly machines = new Map<string, StateMachine>();
  /** Starts not yet durable, answered only once they are. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly store: ExecutionStore;
  private readonly env: RunEnvironment;
  private readonly executionArnPrefix: string;
  /** The definition's own state-name strings, so a parked execution keeps no copy of its state's name. */
  private readonly stateNames = new Map<string, string>();
  private readonly waker: Waker = {
    targetAfterWake: async (parked) => {
      await this.wake(parked.name);
      const target = this.tokens.target(parked.token ?? '');
      // Still parked: the endpoint is shutting down.
      if (target === parked) throw taskTimedOut('replaced');
      return target;
    },
  };

  private constructor(private readonly options: ExecutionsOptions) {
    const { definition, stateMachineArn, lambdas, logger } = options;
    // Fails fast on a definition the library rejects. Its validation takes ~0.3 s, so the copies it runs,
    // which differ in Task timeouts and StartAt only, are not validated again.
    new StateMachine(definition as unknown as StateMachineDefinition);
    const [, partition, , region = '', account = ''] = stateMachineArn.split(':');
    this.executionArnPrefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
    this.store = new ExecutionStore(options.dataDir, (error, record) =>
      logger.error('could not persist execution', { error, executionArn: record.executionArn }),
    );
    const states = statesByName(definition);
    for (const name of Object.keys(definition.States)) this.stateNames.set(name, name);
    const tasks = new Map<string, LambdaTask>();
    for (const [name, state] of states) {
      if (state.Type !== 'Task') continue;
      const task = lambdaTaskOf(name, state);
      // A dynamic `FunctionName.$` can only be checked when called (Lambda.ResourceNotFoundException then).
      const functionName =
        task.pattern === 'function'
          ? task.resource
          : (state.Parameters as { FunctionName?: unknown })?.FunctionName;
      if (typeof functionName === 'string' && !lambdas[functionName]) {
        throw new Error(`Task state ${name} calls ${functionName}, which is not among the local lambdas`);
      }
      tasks.set(name, task);
    }
    this.env = {
      machineFrom: (resume) => this.machineFrom(resume),
      states,
      topLevelStates: new Set(Object.keys(definition.States)),
      tasks,
      lambdas,
      tokens: this.tokens,
      statesTimeoutError: options.statesTimeoutError,
      stateMachineArn,
      region,
      roleArn: `arn:${partition}:iam::${account}:role/LocalStepFunctions`,
      save: (record) => this.store.save(record),
      onEnded: (record) => {
        this.runs.delete(record.executionArn);
        this.releaseWhenDurable(record);
        logger.info(`execution ${record.name} ${record.status}`, { executionArn: record.executionArn });
      },
      logger,
    };
  }

  /** Loads the open executions kept in `dataDir` and resumes them (those that rest get parked). */
  static async open(options: ExecutionsOptions): Promise<Executions> {
    const executions = new Executions(options);
    for (const record of await executions.store.loadOpen()) executions.resume(record, 'restart');
    const { parkAfterMs, definition } = options;
    if (parkAfterMs !== undefined && Number.isFinite(parkAfterMs) && parkable(definition)) {
      executions.sweeper = setInterval(() => executions.parkResting(), Math.max(1, parkAfterMs));
      executions.sweeper.unref();
    }
    return executions;
  }

  /**
   * Whether every running execution rests (see `ExecutionRun.resting`; a parked one does, one being
   * woken does not), and how many history events they hold: a caller that sees the same count twice,
   * resting both times, knows nothing moved in between.
   */
  restingState(): { resting: boolean; events: number } {
    let events = this.parkedEvents;
    let resting = this.waking.size === 0;
    for (const [arn, run] of this.runs) {
      resting &&= run.resting;
      events += this.records.get(arn)?.history.length ?? 0;
    }
    return { resting, events };
  }

  /**
   * Where a resting execution waits: its state and when that wait ends by itself (a Wait state's end,
   * or the earlier of a callback task's timeout and heartbeat deadlines; none if it waits without one).
   * `undefined` while the execution is under way, or if it does not run.
   */
  pendingWait(name: string): { stateName: string; until?: number } | undefined {
    const parked = this.parked.get(name);
    if (parked) {
      if (this.waking.has(name)) return undefined;
      const { stateName, until } = parked;
      return until === undefined ? { stateName } : { stateName, until };
    }
    const arn = `${this.executionArnPrefix}${name}`;
    const resume = this.records.get(arn)?.resumeFrom;
    if (!this.runs.get(arn)?.resting || !resume) return undefined;
    const until = waitEnd(resume);
    return until === undefined ? { stateName: resume.stateName } : { stateName: resume.stateName, until };
  }

  /** Whether the execution is parked and not being woken. */
  isParked(name: string): boolean {
    return this.parked.has(name) && !this.waking.has(name);
  }

  get roleArn(): string {
    return this.env.roleArn;
  }

  /**
   * StartExecution, answered once the execution is durable (and only then started). A repeated start with
   * the same name and input while the execution runs returns it unchanged (AWS idempotency); any other
   * reuse of a name, also of one whose execution has closed, is `ExecutionAlreadyExists`.
   */
  async start(name: string, input: string): Promise<ExecutionRecord> {
    const executionArn = `${this.executionArnPrefix}${name}`;
    const known = this.records.has(executionArn) || this.parked.has(name) || (await this.store.has(name));
    if (known) {
      const existing = this.records.get(executionArn) ?? (await this.store.load(name));
      if (existing?.status === 'RUNNING' && existing.input === input) {
        await this.starting.get(executionArn);
        return existing;
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    // Another start of this name may have come in while the disk was asked.
    if (this.records.has(executionArn) || this.parked.has(name)) return this.start(name, input);
    const record: ExecutionRecord = {
      executionArn,
      name,
      status: 'RUNNING',
      input,
      startDate: Date.now(),
      history: [],
      taskTokens: {},
    };
    appendHistory(record.history, executionStarted(input, this.env.roleArn), record.startDate);
    this.records.set(executionArn, record);
    const durable = this.store.save(record);
    this.starting.set(executionArn, durable);
    try {
      await durable;
    } catch (error) {
      this.records.delete(executionArn);
      throw error;
    } finally {
      this.starting.delete(executionArn);
    }
    this.runs.set(executionArn, new ExecutionRun(record, this.env));
    return record;
  }

  /** The execution's full record: in memory while it moves, else as last written to disk. */
  async load(executionArn: string): Promise<ExecutionRecord> {
    const live = this.records.get(executionArn);
    if (live) return live;
    const name = this.nameOf(executionArn);
    const record = name === undefined ? undefined : await this.store.load(name);
    if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /**
   * The executions with `status` (all without one), most recently started first (the ListExecutions
   * order). The closed ones are read from disk, one file each: this is for tests and tools, not a hot path.
   */
  async list(status?: ExecutionStatus): Promise<ExecutionSummary[]> {
    // Memory first: an execution that closes meanwhile is on disk before it leaves memory.
    const byArn = new Map<string, ExecutionSummary>();
    for (const record of this.records.values()) byArn.set(record.executionArn, summaryOf(record));
    for (const { name, startDate } of this.parked.values()) {
      const executionArn = `${this.executionArnPrefix}${name}`;
      byArn.set(executionArn, { executionArn, name, status: 'RUNNING', startDate });
    }
    if (status !== 'RUNNING') {
      for (const record of await this.store.loadClosed()) {
        if (!byArn.has(record.executionArn)) byArn.set(record.executionArn, summaryOf(record));
      }
    }
    return [...byArn.values()]
      .filter((summary) => !status || summary.status === status)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /**
   * StopExecution: aborts the run (waking a parked one first) and closes its task tokens, answered once
   * that is durable. Stopping a closed execution changes nothing.
   */
  async stop(executionArn: string, error?: string, cause?: string): Promise<ExecutionSummary> {
    await this.starting.get(executionArn);
    const name = this.nameOf(executionArn);
    if (name !== undefined) await this.wake(name);
    const record = await this.load(executionArn);
    if (record.status !== 'RUNNING' || this.records.get(executionArn) !== record) return record;
    this.runs.get(executionArn)?.stop('stopped');
    this.runs.delete(executionArn);
    Object.assign(record, { status: 'ABORTED', stopDate: Date.now(), error, cause });
    appendHistory(record.history, executionAborted(error, cause), record.stopDate);
    await this.store.save(record);
    this.release(record);
    return record;
  }

  /** Ends every run without changing its recorded state, so the next start resumes it. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    clearTimeout(this.wakeTimer);
    await Promise.allSettled(this.waking.values());
    for (const run of this.runs.values()) run.stop('replaced');
    this.runs.clear();
    await this.store.close();
  }

  /**
   * The parking sweep: parks each run seen resting, with nothing more in its history and no write
   * pending, both now and at the previous sweep.
   */
  private parkResting(): void {
    for (const [arn, run] of this.runs) {
      const record = this.records.get(arn);
      if (!record || !run.resting || this.store.writing(record.name)) {
        this.seenResting.delete(run);
        continue;
      }
      const events = record.history.length;
      if (this.seenResting.get(run) === events) this.park(record, run);
      else this.seenResting.set(run, events);
    }
  }

  /**
   * Frees a resting run whose record is on disk as it is in memory. Synchronous: no callback, timer or
   * stop can come in between, and from here on they all reach the `ParkedExecution`.
   */
  private park(record: ExecutionRecord, run: ExecutionRun): void {
    const resume = record.resumeFrom as ResumePoint;
    const attempt = resume.attempt;
    const token = attempt && attempt.outcome === undefined ? attempt.token : undefined;
    const until = waitEnd(resume);
    run.stop('replaced');
    this.runs.delete(record.executionArn);
    this.records.delete(record.executionArn);
    const stateName = this.stateNames.get(resume.stateName) ?? resume.stateName;
    const parked = new ParkedExecution(this.waker, record.name, record.startDate, stateName, until, token);
    this.parked.set(record.name, parked);
    if (token) this.tokens.open(token, parked);
    this.parkedEvents += record.history.length;
    if (until !== undefined) this.wakeBy(until);
  }

  /** Resumes a parked execution from its record (once, however many ask); nothing if it is not parked. */
  private wake(name: string): Promise<void> {
    const waking = this.waking.get(name);
    if (waking) return waking;
    const parked = this.parked.get(name);
    if (!parked || this.closing) return Promise.resolve();
    const woken = this.store
      .load(name)
      .then((record) => {
        if (this.closing || this.parked.get(name) !== parked) return;
        if (!record) throw new Error(`the record of parked execution ${name} is gone`);
        this.parked.delete(name);
        this.parkedEvents -= record.history.length;
        // The resumed attempt opens it again.
        if (parked.token) this.tokens.close(parked.token, 'replaced');
        this.resume(record, 'wake');
      })
      .finally(() => this.waking.delete(name));
    this.waking.set(name, woken);
    return woken;
  }

  /** Arms the one timer of the parked executions for `until`, unless it goes off earlier already. */
  private wakeBy(until: number): void {
    if (this.closing || (this.wakeTimerAt !== undefined && this.wakeTimerAt <= until)) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimerAt = until;
    this.wakeTimer = setTimeout(() => this.wakeDue(), Math.max(0, until - Date.now()));
  }

  /**
   * Wakes the parked executions whose wait has ended (their resumed runs time out or leave the Wait
   * state) and arms the timer for the next one: one pass over the parked executions per due time.
   */
  private wakeDue(): void {
    this.wakeTimer = undefined;
    this.wakeTimerAt = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const { name, until } of this.parked.values()) {
      if (until === undefined) continue;
      if (until > now) {
        next = Math.min(next, until);
        continue;
      }
      this.wake(name).catch((error: unknown) => {
        this.options.logger.error('could not wake execution', { error, name });
        this.wakeBy(Date.now() + wakeRetryMs);
      });
    }
    if (Number.isFinite(next)) this.wakeBy(next);
  }

  private nameOf(executionArn: string): string | undefined {
    return executionArn.startsWith(this.executionArnPrefix)
      ? executionArn.slice(this.executionArnPrefix.length)
      : undefined;
  }

  /** Runs an open execution again from its record: after a restart, or when it is woken. */
  private resume(record: ExecutionRecord, after: 'restart' | 'wake'): void {
    const { attempt } = record.resumeFrom ?? {};
    const waiting = !attempt?.outcome ? attempt?.token : undefined;
    for (const [token, status] of Object.entries(record.taskTokens)) {
      // The waiting task's token stays valid (the resumed run accepts it); any other open one belonged to
      // a task inside a Parallel or Map state, which runs again with new tokens.
      if (token === waiting) continue;
      const reason = status === 'open' ? 'replaced' : status;
      record.taskTokens[token] = reason;
      this.tokens.close(token, reason);
    }
    this.records.set(record.executionArn, record);
    try {
      this.runs.set(record.executionArn, new ExecutionRun(record, this.env));
      // A wake is routine (a parked execution's callback or deadline), a restart is news.
      if (after === 'restart') {
        this.options.logger.info(
          `execution ${record.name} resumed at ${record.resumeFrom?.stateName ?? 'its start'}`,
        );
      }
    } catch (error) {
      // E.g. the definition changed and no longer has the state the execution was in.
      const cause = `Cannot resume: ${error instanceof Error ? error.message : String(error)}`;
      Object.assign(record, { status: 'FAILED', stopDate: Date.now(), error: 'States.Runtime', cause });
      appendHistory(record.history, executionFailed('States.Runtime', cause), record.stopDate);
      this.releaseWhenDurable(record);
    }
  }

  /** Lets a closed execution's record go once it is on disk (the store logs a failure). */
  private releaseWhenDurable(record: ExecutionRecord): void {
    this.store.save(record).then(
      () => this.release(record),
      () => undefined,
    );
  }

  private release(record: ExecutionRecord): void {
    if (this.records.get(record.executionArn) === record) this.records.delete(record.executionArn);
  }

  /**
   * The library machine for a run: from StartAt, or from the state a resumed run is in. Machines are
   * shared, but for a resumed state that has used some of its retries: its run gets a copy whose
   * retriers have only the attempts left, with the backoff reached so far.
   */
  private machineFrom(resume: ResumePoint | undefined): RunMachine {
    const startAt = resume?.stateName ?? this.options.definition.StartAt;
    if (!Object.hasOwn(this.options.definition.States, startAt)) {
      throw new Error(`the definition has no state ${startAt}`);
    }
    const retries = resume?.retries ?? [];
    if (retries.some((count) => count > 0)) {
      const definition = runtimeDefinition(this.options.definition, startAt);
      const state = definition.States[startAt] as AslState;
      const full = state.Retry;
      state.Retry = retriesLeft(full as Retrier[], retries);
      return {
        machine: libraryMachine(definition),
        restoreRetries: () => {
          state.Retry = full;
        },
      };
    }
    let machine = this.machines.get(startAt);
    if (!machine) {
      machine = libraryMachine(runtimeDefinition(this.options.definition, startAt));
      this.machines.set(startAt, machine);
    }
    return { machine };
  }
}

function summaryOf(record: ExecutionRecord): ExecutionSummary {
  const { executionArn, name, status, startDate, stopDate } = record;
  return { executionArn, name, status, startDate, stopDate };
}

/**
 * When the wait of a resting execution ends by itself: a Wait state's end, or the earlier of a callback
 * task's timeout and heartbeat deadlines; `undefined` if it waits without one.
 */
function waitEnd({ waitUntil, attempt }: ResumePoint): number | undefined {
  const until = waitUntil ?? Math.min(attempt?.timeoutAt ?? Infinity, attempt?.heartbeatAt ?? Infinity);
  return Number.isFinite(until) ? until : undefined;
}

/**
 * Whether a resumed run behaves as the run it replaces: not if the definition has an execution-level
 * timeout or reads `$$.Execution.Input`/`StartTime`, which aws-local-stepfunctions sets from the run.
 */
function parkable(definition: AslMachine): boolean {
  return (
    (definition as { TimeoutSeconds?: unknown }).TimeoutSeconds === undefined &&
    !/\$\$\.Execution\.(Input|StartTime)/.test(JSON.stringify(definition))
  );
}

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  IntervalSeconds?: number;
  BackoffRate?: number;
}

// Step Functions' defaults for a retrier without these fields.
const defaultMaxAttempts = 3;
const defaultIntervalSeconds = 1;
const defaultBackoffRate = 2;

/**
 * Retriers that have made `retries[i]` retries already: fewer attempts left, and the interval they had
 * reached. Each copy keeps the `ErrorEquals` array of its original, by which the run tells them apart.
 */
function retriesLeft(retriers: Retrier[], retries: number[]): Retrier[] {
  return retriers.map((retrier, i) => {
    const used = retries[i] ?? 0;
    if (used === 0) return retrier;
    const backoffRate = retrier.BackoffRate ?? defaultBackoffRate;
    return {
      ...retrier,
      MaxAttempts: Math.max(0, (retrier.MaxAttempts ?? defaultMaxAttempts) - used),
      IntervalSeconds: (retrier.IntervalSeconds ?? defaultIntervalSeconds) * backoffRate ** used,
    };
  });
}

// Validated as given at start-up; a resumed copy would fail validation for its unreachable first states.
function libraryMachine(definition: AslMachine): StateMachine {
  return new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
}
