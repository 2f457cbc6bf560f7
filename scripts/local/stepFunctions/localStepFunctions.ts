/*
 * A local AWS Step Functions endpoint for one state machine, speaking the AWS JSON 1.0 API that
 * @aws-sdk/client-sfn uses (StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions,
 * StopExecution, SendTaskSuccess/Failure/Heartbeat, DescribeStateMachine) and running the definition with
 * aws-local-stepfunctions, its Lambda tasks on in-process handlers.
 *
 * Persisted (a log per open execution in `dataDir`, appended to durably, and one JSON file per closed
 * one under `closed/`: see `ExecutionStore`): name,
 * ARN, status, input, output, error/cause, start/stop dates, the full GetExecutionHistory, the task tokens
 * handed out, and the top-level state the execution is in, with its input and progress (a Wait's end, a
 * Task's current attempt with token, deadlines and outcome, the retries used). Every call that changes an
 * execution is answered once that change is on disk; an attempt is on disk before its function runs, and
 * its outcome before the next state begins.
 *
 * A restart resumes each RUNNING execution in that state: a callback task waits on the same token until
 * its original deadlines, an outcome recorded before the crash (e.g. an answered SendTaskSuccess) is handed
 * to the state instead of running it, and a Wait ends at its original time. What the restart loses:
 * - a Lambda invocation in flight (or a callback function that had not returned), which is invoked again
 *   (at-least-once, like a Lambda retry); a retry interval under way, which is waited again in full;
 * - the progress inside a Parallel or Map state, which runs all its branches again (tokens handed out
 *   inside answer TaskTimedOut);
 * - a Wait entered in the last milliseconds before a crash, whose entry was not on disk yet: it starts
 *   again (the steps without outside effect between two writes are replayed from the last one);
 * - the execution-level TimeoutSeconds, which counts again from the restart;
 * - `$$.Execution.Input` and `$$.Execution.StartTime`, which become the resumed state's input and the
 *   restart time (aws-local-stepfunctions sets both from the run it is given).
 *
 * Memory holds the executions under way only. One that rests for `parkAfterMs` (in a Wait state, or in a
 * callback task whose function has returned), its record on disk, is parked: its run is freed, and a
 * callback on its token, its deadline or StopExecution resumes it from its record exactly as a restart
 * does. Of the losses above only the last two can touch a resting execution, so a definition with an
 * execution-level timeout or reading `$$.Execution.Input`/`StartTime` is never parked. A closed
 * execution is read from disk when asked for (see `Executions`).
 *
 * The definition runs as given but for one adaptation in the copy handed to aws-local-stepfunctions
 * (`runtimeDefinition`): Task timeouts and heartbeats are enforced by this endpoint, because the library
 * resolves `TimeoutSecondsPath` against the Parameters result instead of the state input (CDK's
 * `Timeout.at('$.x')` then fails with States.Runtime), defaults a Task without timeout to 60 s (AWS:
 * 99999999 s) and ignores `HeartbeatSeconds`. History has no TaskSubmitted, MapState* or ParallelState*
 * events.
 */
import 'core-js/actual/promise/with-resolvers';
import type { AslMachine } from './aslDefinition';
import { startAwsJsonServer } from './awsJsonServer';
import { Executions } from './executions';
import type { LocalLambdaHandler } from './lambdaTasks';
import { installLongTimers } from './longTimers';
import { captureStatesTimeoutError } from './statesTimeoutError';
import { stepFunctionsApi } from './stepFunctionsApi';

export type { LocalLambdaHandler } from './lambdaTasks';

export interface LocalStepFunctionsOptions {
  /** Plain ASL JSON (references already resolved, JSONPath only). */
  definition: Record<string, unknown>;
  /** e.g. `arn:aws:states:us-east-1:000000000000:stateMachine:Complaints`; execution ARNs derive from it. */
  stateMachineArn: string;
  /**
   * The in-process stand-ins of the Lambda functions, keyed by the function ARN exactly as the definition
   * names it: `Parameters.FunctionName` of `lambda:invoke[.waitForTaskToken]` tasks, or a Task's `Resource`.
   */
  lambdas: Record<string, LocalLambdaHandler>;
  /** Where executions are persisted; a new endpoint on the same folder resumes them. */
  dataDir: string;
  /**
   * How long an execution rests before its run is freed until a callback, its deadline or a stop wakes
   * it (it is parked between this and twice this); `Infinity`: never. Default {@link defaultParkAfterMs}.
   */
  parkAfterMs?: number;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  logger?: { info(msg: string, extra?: object): void; error(msg: string, extra?: object): void };
}

export interface LocalStepFunctions {
  /** The URL to give SFNClient as `endpoint`. */
  endpoint: string;
  /** Stops serving and ends the runs; RUNNING executions stay RUNNING on disk, to be resumed. */
  close(): Promise<void>;
  /** Whether every running execution waits on time or on someone else (`Executions.restingState`). */
  restingState(): { resting: boolean; events: number };
  /** Where a resting execution waits, and until when (`Executions.pendingWait`). */
  pendingWait(executionName: string): { stateName: string; until?: number } | undefined;
  /** Whether the execution is parked: waiting with its run freed (`Executions`). */
  isParked(executionName: string): boolean;
}

/**
 * Parking waits a second: a wait answered within it (an agent acting at once, a short Wait) costs no
 * read of the record back from disk.
 */
export const defaultParkAfterMs = 1_000;

/**
 * Starts the endpoint: loads the executions in `dataDir`, resumes those still RUNNING, then serves the
 * Step Functions API. Throws if the definition is invalid, has a Task that is not a Lambda task, or names a
 * function missing from `lambdas`.
 */
export async function startLocalStepFunctions(o: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  installLongTimers();
  const logger = o.logger ?? { info: () => undefined, error: (msg, extra) => console.error(msg, extra) };
  const executions = await Executions.open({
    definition: o.definition as AslMachine,
    stateMachineArn: o.stateMachineArn,
    lambdas: o.lambdas,
    dataDir: o.dataDir,
    parkAfterMs: o.parkAfterMs ?? defaultParkAfterMs,
    statesTimeoutError: await captureStatesTimeoutError(),
    logger,
  });
  try {
    const server = await startAwsJsonServer({
      targetPrefix: 'AWSStepFunctions',
      operations: stepFunctionsApi(executions, {
        stateMachineArn: o.stateMachineArn,
        definition: o.definition,
        createdAt: new Date(),
      }),
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 0,
      logger,
    });
    return {
      endpoint: server.endpoint,
      restingState: () => executions.restingState(),
      pendingWait: (name) => executions.pendingWait(name),
      isParked: (name) => executions.isParked(name),
      async close() {
        await server.close();
        await executions.close();
      },
    };
  } catch (error) {
    await executions.close();
    throw error;
  }
}
