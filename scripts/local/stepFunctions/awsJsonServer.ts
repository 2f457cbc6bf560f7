import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { listenLocally } from '../httpEndpoint';
import { SfnError } from './sfnErrors';
import type { Operation } from './stepFunctionsApi';

export interface AwsJsonServerOptions {
  /** `X-Amz-Target` is `<targetPrefix>.<Operation>`, e.g. `AWSStepFunctions.StartExecution`. */
  targetPrefix: string;
  operations: Record<string, Operation>;
  host: string;
  port: number;
  logger: { error(msg: string, extra?: object): void };
}

export interface AwsJsonServer {
  endpoint: string;
  close(): Promise<void>;
}

const maxRequestBytes = 1024 * 1024;

/**
 * An HTTP server speaking the AWS JSON 1.0 protocol: `POST /` with the operation in `X-Amz-Target`, JSON
 * in and out, and errors as HTTP 400 `{"__type", "message"}` from which the SDK builds its exception class.
 */
export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const { targetPrefix, operations, logger } = options;
  const server = createServer(async (request, response) => {
    // Actions to run once the answer is out; at once if the client is gone already (it may hang up
    // before the operation ends, and the action must still run).
    const afterSent: (() => void)[] = [];
    let sent = false;
    const runAfterSent = () => {
      sent = true;
      for (const action of afterSent.splice(0)) action();
    };
    response.once('finish', runAfterSent);
    response.once('close', runAfterSent);
    const reply = {
      afterSent: (action: () => void) => {
        if (sent) action();
        else afterSent.push(action);
      },
    };
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.0',
        'x-amzn-RequestId': randomUUID(),
      });
      response.end(JSON.stringify(body));
    };
    try {
      const target = request.headers['x-amz-target'];
      const name =
        typeof target === 'string' && target.startsWith(`${targetPrefix}.`)
          ? target.slice(targetPrefix.length + 1)
          : '';
      const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
      if (request.method !== 'POST' || !operation) {
        throw new SfnError('UnknownOperationException', `Unknown operation ${String(target)}`);
      }
      answer(200, await operation(await readJson(request), reply));
    } catch (error) {
      if (error instanceof SfnError) return answer(400, { __type: error.type, message: error.message });
      logger.error('Step Functions request failed', { error });
      answer(500, {
        __type: 'InternalFailure',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
  return listenLocally(server, options.port, options.host);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxRequestBytes) throw new SfnError('ValidationException', 'Request too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new SfnError('SerializationException', 'The request body is not valid JSON');
  }
}
