import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AslMachine, type AslState, runtimeDefinition, statesByName } from './aslDefinition';
import { appendHistory, executionAborted, executionFailed, executionStarted } from './executionHistory';
import { ExecutionRun, type RunEnvironment, type RunMachine } from './executionRun';
import { type ExecutionRecord, ExecutionStore, type ResumePoint } from './executionStore';
import { type LambdaTask, type LocalLambdaHandler, lambdaTaskOf } from './lambdaTasks';
import { SfnError } from './sfnErrors';
import { TaskTokens } from './taskTokens';

export interface ExecutionsOptions {
  definition: AslMachine;
  stateMachineArn: string;
  lambdas: Record<string, LocalLambdaHandler>;
  dataDir: string;
  statesTimeoutError: () => Error;
  logger: { info(msg: string, extra?: object): void; error(msg: string, extra?: object): void };
}

/** What stays in memory of a closed execution: what ListExecutions and StartExecution need. */
export type ClosedExecution = Pick<
  ExecutionRecord,
  'executionArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

/**
 * The executions of the one state machine: started, stopped, persisted and resumed after a restart. An
 * execution's full record (input, output, history) stays in memory while it runs; once it has closed
 * and that is on disk, only its summary does, and DescribeExecution and GetExecutionHistory read the
 * record from disk: memory follows the open executions, not every execution ever started.
 */
export class Executions {
  readonly tokens = new TaskTokens();
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly closed = new Map<string, ClosedExecution>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly machines = new Map<string, StateMachine>();
  /** Starts not yet durable, answered only once they are. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly store: ExecutionStore;
  private readonly env: RunEnvironment;
  private readonly executionArnPrefix: string;

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

  /** Loads the executions kept in `dataDir` and resumes those still RUNNING. */
  static async open(options: ExecutionsOptions): Promise<Executions> {
    const executions = new Executions(options);
    for (const record of await executions.store.loadAll()) executions.resume(record);
    return executions;
  }

  /**
   * Whether every running execution rests (see `ExecutionRun.resting`), and how many history events they
   * hold: a caller that sees the same count twice, resting both times, knows nothing moved in between.
   */
  restingState(): { resting: boolean; events: number } {
    let events = 0;
    let resting = true;
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
    const arn = `${this.executionArnPrefix}${name}`;
    const resume = this.records.get(arn)?.resumeFrom;
    if (!this.runs.get(arn)?.resting || !resume) return undefined;
    const { stateName, waitUntil, attempt } = resume;
    const until = waitUntil ?? Math.min(attempt?.timeoutAt ?? Infinity, attempt?.heartbeatAt ?? Infinity);
    return Number.isFinite(until) ? { stateName, until } : { stateName };
  }

  get roleArn(): string {
    return this.env.roleArn;
  }

  /**
   * StartExecution, answered once the execution is durable (and only then started). A repeated start with
   * the same name and input while the execution runs returns it unchanged (AWS idempotency); any other
   * reuse of a name is `ExecutionAlreadyExists`.
   */
  async start(name: string, input: string): Promise<ExecutionRecord> {
    const executionArn = `${this.executionArnPrefix}${name}`;
    const existing = this.records.get(executionArn);
    if (existing?.status === 'RUNNING' && existing.input === input) {
      await this.starting.get(executionArn);
      return existing;
    }
    if (existing || this.closed.has(executionArn))
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
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

  /** The execution's record, or its summary once it has closed. */
  get(executionArn: string): ExecutionRecord | ClosedExecution {
    const record = this.records.get(executionArn) ?? this.closed.get(executionArn);
    if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** The execution's full record (read from disk once it has closed). */
  async load(executionArn: string): Promise<ExecutionRecord> {
    const record = this.get(executionArn);
    return 'history' in record ? record : this.store.load(record.name);
  }

  /** All executions, most recently started first (the ListExecutions order). */
  list(): (ExecutionRecord | ClosedExecution)[] {
    return [...this.records.values(), ...this.closed.values()].sort((a, b) => b.startDate - a.startDate);
  }

  /**
   * StopExecution: aborts the run and closes its task tokens, answered once that is durable. Stopping a
   * closed execution changes nothing.
   */
  async stop(executionArn: string, error?: string, cause?: string): Promise<ClosedExecution> {
    await this.starting.get(executionArn);
    const record = this.get(executionArn);
    if (record.status !== 'RUNNING' || !('history' in record)) return record;
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
    for (const run of this.runs.values()) run.stop('replaced');
    this.runs.clear();
    await this.store.flush();
  }

  private resume(record: ExecutionRecord): void {
    const { attempt } = record.resumeFrom ?? {};
    const waiting = record.status === 'RUNNING' && !attempt?.outcome ? attempt?.token : undefined;
    for (const [token, status] of Object.entries(record.taskTokens)) {
      // The waiting task's token stays valid (the resumed run accepts it); any other open one belonged to
      // a task inside a Parallel or Map state, which runs again with new tokens.
      if (token === waiting) continue;
      const reason = status === 'open' ? 'replaced' : status;
      record.taskTokens[token] = reason;
      this.tokens.close(token, reason);
    }
    if (record.status !== 'RUNNING') {
      this.closed.set(record.executionArn, summaryOf(record));
      return;
    }
    this.records.set(record.executionArn, record);
    try {
      this.runs.set(record.executionArn, new ExecutionRun(record, this.env));
      this.options.logger.info(
        `execution ${record.name} resumed at ${record.resumeFrom?.stateName ?? 'its start'}`,
      );
    } catch (error) {
      // E.g. the definition changed and no longer has the state the execution was in.
      const cause = `Cannot resume after restart: ${error instanceof Error ? error.message : String(error)}`;
      Object.assign(record, { status: 'FAILED', stopDate: Date.now(), error: 'States.Runtime', cause });
      appendHistory(record.history, executionFailed('States.Runtime', cause), record.stopDate);
      this.releaseWhenDurable(record);
    }
  }

  /** Keeps only the summary of a closed execution once its record is on disk (the store logs a failure). */
  private releaseWhenDurable(record: ExecutionRecord): void {
    this.store.save(record).then(
      () => this.release(record),
      () => undefined,
    );
  }

  private release(record: ExecutionRecord): void {
    if (this.records.get(record.executionArn) !== record) return;
    this.records.delete(record.executionArn);
    this.closed.set(record.executionArn, summaryOf(record));
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

function summaryOf(record: ExecutionRecord): ClosedExecution {
  const { executionArn, name, status, startDate, stopDate } = record;
  return { executionArn, name, status, startDate, stopDate };
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
