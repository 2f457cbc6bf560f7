import { randomUUID } from 'node:crypto';
import type { AslState } from './aslDefinition';

/** A Lambda function run in-process: receives the event Lambda would, returns its result or throws. */
export type LocalLambdaHandler = (event: unknown) => Promise<unknown>;

/** How a Task state reaches Lambda, which decides its result shape and its history events. */
export type LambdaTask =
  // Optimized integration: the result is Lambda's Invoke response, the function's return value in `Payload`.
  | { pattern: 'invoke'; resource: 'invoke' }
  // Callback: the function receives the task token; the task ends with SendTaskSuccess/Failure.
  | { pattern: 'callback'; resource: 'invoke.waitForTaskToken' }
  // Legacy direct ARN: the result is the function's return value as-is.
  | { pattern: 'function'; resource: string };

/** The Lambda integration of a Task state; throws for resources this endpoint cannot run. */
export function lambdaTaskOf(stateName: string, state: AslState): LambdaTask {
  const resource = state.Resource ?? '';
  if (resource === 'arn:aws:states:::lambda:invoke') return { pattern: 'invoke', resource: 'invoke' };
  if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
    return { pattern: 'callback', resource: 'invoke.waitForTaskToken' };
  }
  if (/^arn:aws:lambda:[^:]+:\d{12}:function:/.test(resource)) return { pattern: 'function', resource };
  throw new Error(`Task state ${stateName}: resource ${resource} is not supported locally (Lambda only)`);
}

/**
 * The error a failed Task reports to Retry/Catch. aws-local-stepfunctions matches `ErrorEquals` against
 * `name` and reports `message` as the Cause, so `name` is the AWS error name.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * Runs the local stand-in of a Lambda function as Lambda does: the event and the result go through JSON,
 * and a thrown error fails the task with Lambda's `errorType` (the error's `name`, e.g.
 * `ComplaintBusyError`) and a Cause holding Lambda's error object as JSON.
 */
export async function invokeLambda(
  lambdas: Record<string, LocalLambdaHandler>,
  functionName: unknown,
  event: unknown,
): Promise<unknown> {
  const handler = typeof functionName === 'string' ? lambdas[functionName] : undefined;
  if (!handler) {
    throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${String(functionName)}`);
  }
  try {
    return viaJson(await handler(viaJson(event ?? {})));
  } catch (thrown) {
    const errorType = thrown instanceof Error ? thrown.name : typeof thrown;
    const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
    const trace = thrown instanceof Error ? (thrown.stack?.split('\n') ?? []) : [];
    throw new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
  }
}

function viaJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** The result of an `arn:aws:states:::lambda:invoke` task: Lambda's Invoke response as Step Functions reports it. */
export function invokeResponse(payload: unknown): Record<string, unknown> {
  const requestId = randomUUID();
  const headers = {
    'Content-Type': 'application/json',
    Date: new Date().toUTCString(),
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-RequestId': requestId,
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      HttpHeaders: headers,
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}
