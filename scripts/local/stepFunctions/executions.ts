import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AslMachine, runtimeDefinition, statesByName } from './aslDefinition';
import { appendHistory, executionAborted, executionFailed, executionStarted } from './executionHistory';
import { ExecutionRun, type RunEnvironment } from './executionRun';
import { type ExecutionRecord, ExecutionStore } from './executionStore';
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

/** The executions of the one state machine: started, stopped, persisted and resumed after a restart. */
export class Executions {
  readonly tokens = new TaskTokens();
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly machines = new Map<string, StateMachine>();
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
      machineFrom: (startAt) => this.machineFrom(startAt ?? definition.StartAt),
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

  get roleArn(): string {
    return this.env.roleArn;
  }

  /**
   * StartExecution. A repeated start with the same name and input while the execution runs returns it
   * unchanged (AWS idempotency); any other reuse of a name is `ExecutionAlreadyExists`.
   */
  start(name: string, input: string): ExecutionRecord {
    const executionArn = `${this.executionArnPrefix}${name}`;
    const existing = this.records.get(executionArn);
    if (existing?.status === 'RUNNING' && existing.input === input) return existing;
    if (existing) throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
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
    this.store.save(record);
    this.runs.set(executionArn, new ExecutionRun(record, this.env));
    return record;
  }

  get(executionArn: string): ExecutionRecord {
    const record = this.records.get(executionArn);
    if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  /** All executions, most recently started first (the ListExecutions order). */
  list(): ExecutionRecord[] {
    return [...this.records.values()].sort((a, b) => b.startDate - a.startDate);
  }

  /** StopExecution: aborts the run and closes its task tokens. Stopping a closed execution changes nothing. */
  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.get(executionArn);
    if (record.status !== 'RUNNING') return record;
    this.runs.get(executionArn)?.stop('stopped');
    this.runs.delete(executionArn);
    Object.assign(record, { status: 'ABORTED', stopDate: Date.now(), error, cause });
    appendHistory(record.history, executionAborted(error, cause), record.stopDate);
    this.store.save(record);
    return record;
  }

  /** Ends every run without changing its recorded state, so the next start resumes it. */
  async close(): Promise<void> {
    for (const run of this.runs.values()) run.stop('replaced');
    this.runs.clear();
    await this.store.flush();
  }

  private resume(record: ExecutionRecord): void {
    this.records.set(record.executionArn, record);
    for (const [token, status] of Object.entries(record.taskTokens)) {
      // The task of an open token is scheduled again on resume, with a new token for its function.
      const reason = status === 'open' ? 'replaced' : status;
      record.taskTokens[token] = reason;
      this.tokens.close(token, reason);
    }
    if (record.status !== 'RUNNING') return;
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
      this.store.save(record);
    }
  }

  private machineFrom(startAt: string): StateMachine {
    let machine = this.machines.get(startAt);
    if (!machine) {
      if (!Object.hasOwn(this.options.definition.States, startAt)) {
        throw new Error(`the definition has no state ${startAt}`);
      }
      const definition = runtimeDefinition(
        this.options.definition,
        startAt,
      ) as unknown as StateMachineDefinition;
      // Validated as given at start-up; a resumed copy would fail validation for its unreachable first states.
      machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
      this.machines.set(startAt, machine);
    }
    return machine;
  }
}
