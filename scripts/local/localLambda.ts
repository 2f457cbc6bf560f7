import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AsyncInvocations } from './asyncInvocations';
import { listenLocally } from './httpEndpoint';

export interface LocalLambdaOptions {
  /** The functions that may be invoked, by name, each with its asynchronous event queue. */
  functions: Record<string, AsyncInvocations<unknown>>;
  host: string;
  port: number;
}

export interface LocalLambda {
  endpoint: string;
  close(): Promise<void>;
}

/** Lambda's limit for the payload of an asynchronous invocation. */
const maxEventBytes = 1024 * 1024;
const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A Lambda API error: the SDK builds its exception class from `X-Amzn-ErrorType`. */
class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Lambda API's Invoke operation (REST-JSON: `POST /2015-03-31/functions/{FunctionName}/invocations`),
 * for the asynchronous invocations the functions make of each other (`X-Amz-Invocation-Type: Event`):
 * answered 202 once the event is in the function's durable queue (`startAsyncInvocations`: fsynced,
 * retried, dead-lettered), as Lambda answers once its internal queue holds it. A function is named by
 * its name or its ARN. Other invocation types are refused: no function invokes another synchronously.
 */
export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const server = createServer(async (request, response) => {
    try {
      const match = invokePath.exec(new URL(request.url ?? '/', 'http://local').pathname);
      if (request.method !== 'POST' || !match) {
        throw new LambdaApiError(404, 'UnknownOperationException', `Unknown operation ${request.url}`);
      }
      const named = decodeURIComponent(match[1] as string);
      // `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, or the name itself.
      const name = named.startsWith('arn:') ? (named.split(':')[6] ?? '') : named;
      const invocations = Object.hasOwn(options.functions, name) ? options.functions[name] : undefined;
      if (!invocations) {
        throw new LambdaApiError(404, 'ResourceNotFoundException', `Function not found: ${named}`);
      }
      const type = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (type !== 'Event') {
        throw new LambdaApiError(
          400,
          'InvalidParameterValueException',
          `Invocation type ${type} is not emulated locally (only Event)`,
        );
      }
      const event = await readEvent(request);
      const requestId = randomUUID();
      await invocations.invoke(requestId, event);
      response.writeHead(202, { 'x-amzn-RequestId': requestId, 'Content-Length': 0 });
      response.end();
    } catch (error) {
      answerError(response, error);
    }
  });
  return listenLocally(server, options.port, options.host);
}

function answerError(response: ServerResponse, error: unknown) {
  const known = error instanceof LambdaApiError;
  const type = known ? error.type : 'ServiceException';
  response.writeHead(known ? error.status : 500, {
    'Content-Type': 'application/json',
    'x-amzn-RequestId': randomUUID(),
    'X-Amzn-ErrorType': type,
  });
  response.end(
    JSON.stringify({ Type: known ? 'User' : 'Service', message: String((error as Error).message) }),
  );
}

async function readEvent(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxEventBytes) {
      throw new LambdaApiError(413, 'RequestTooLargeException', 'Request must be smaller than 1048576 bytes');
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new LambdaApiError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
  }
}
