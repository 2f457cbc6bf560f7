import { createServer, request } from 'node:http';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { listenLocally } from '../scripts/local/httpEndpoint';
import {
  type CounterCall,
  type CounterThreadData,
  callerHeader,
  emptyUsage,
  errorType,
  type TracedRequest,
} from './dynamoDbCounter';

type Wire = Record<string, { S?: string } | undefined>;

/**
 * The kind of an item from its key: the upper-case leading parts of PK and SK (`COMPLAINT#<id>` /
 * `TL#<at>#<id>` is `COMPLAINT/TL`, `REPORT#EVENT#<id>` / `EVENT` is `REPORT#EVENT/EVENT`).
 */
function itemKind(key: Wire | undefined): string {
  const lead = (v: string | undefined) => {
    const parts: string[] = [];
    for (const part of (v ?? '?').split('#')) {
      if (!/^[A-Z_]+$/.test(part)) break;
      parts.push(part);
    }
    return parts.join('#') || '?';
  };
  return `${lead(key?.PK?.S)}/${lead(key?.SK?.S)}`;
}

/** What a request names, in DynamoDB's wire format: its table items, or the partition it queries. */
function describeRequest(operation: string, input: Record<string, unknown>): string {
  const i = input as {
    Key?: Wire;
    Item?: Wire;
    IndexName?: string;
    ExpressionAttributeValues?: Wire;
    TransactItems?: Record<string, { Key?: Wire; Item?: Wire }>[];
    RequestItems?: Record<string, { PutRequest?: { Item: Wire }; DeleteRequest?: { Key: Wire } }[]>;
  };
  switch (operation) {
    case 'Query': {
      const values = Object.values(i.ExpressionAttributeValues ?? {});
      const pk = values[0]?.S?.split('#')[0] ?? '?';
      return i.IndexName ? `${i.IndexName} ${pk}` : pk;
    }
    case 'TransactWriteItems':
      return (i.TransactItems ?? [])
        .map((t) => {
          const [action, body] = Object.entries(t)[0] ?? ['?', {}];
          return `${action} ${itemKind(body.Key ?? body.Item)}`;
        })
        .join(', ');
    case 'BatchWriteItem':
      return Object.values(i.RequestItems ?? {})
        .flat()
        .map((r) =>
          r.PutRequest ? `Put ${itemKind(r.PutRequest.Item)}` : `Delete ${itemKind(r.DeleteRequest?.Key)}`,
        )
        .join(', ');
    default:
      return i.Key || i.Item ? itemKind(i.Key ?? i.Item) : '';
  }
}

/** Operations that accept ReturnConsumedCapacity. */
const metered = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

interface Consumed {
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  CapacityUnits?: number;
}

/**
 * The counting proxy's thread (started by startDynamoDbCounter): an HTTP proxy in front of DynamoDB
 * Local that counts every request per operation (X-Amz-Target) and asks for ReturnConsumedCapacity on
 * each, so the read and write units a request would be billed on AWS are summed. The units are taken
 * out of the answer again when the caller had not asked for them, so the code under test sees what it
 * would see without the proxy. DynamoDB Local does not verify request signatures, so the rewritten body
 * is accepted; the answer's x-amz-crc32 is recomputed. It answers the stack's thread on `port`, which
 * waits for the answer (`signal`), so a snapshot is as synchronous as it was with the proxy on that thread.
 */
async function serve({ target, port, signal, timeOrigin }: CounterThreadData): Promise<void> {
  const upstream = new URL(target);
  // The stack's clock (performance.now of the thread that started this one), for the recorded times.
  const now = () => performance.timeOrigin + performance.now() - timeOrigin;
  const usage = emptyUsage();
  let tracing = false;
  let trace: TracedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      usage.requests[operation] = (usage.requests[operation] ?? 0) + 1;
      let body = Buffer.concat(chunks);
      let injected = false;
      const caller = String(req.headers[callerHeader] ?? 'outside any handler');
      delete req.headers[callerHeader];
      if (metered.has(operation)) {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        if (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE') {
          input.ReturnConsumedCapacity = 'TOTAL';
          injected = true;
          body = Buffer.from(JSON.stringify(input));
        }
      }
      let traced: TracedRequest | undefined;
      if (tracing) {
        const text = body.toString('utf8');
        const input = JSON.parse(text || '{}') as Record<string, unknown>;
        traced = {
          caller,
          operation,
          items: describeRequest(operation, input),
          body: text,
          sentAt: now(),
        };
        trace.push(traced);
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            let out = Buffer.concat(parts);
            const outHeaders = { ...answer.headers };
            if (traced) {
              traced.answeredAt = now();
              if (answer.statusCode !== 200)
                traced.refused = errorType(out.toString('utf8'), answer.statusCode);
            }
            if (metered.has(operation) && out.length > 0) {
              const parsed = JSON.parse(out.toString('utf8')) as { ConsumedCapacity?: Consumed | Consumed[] };
              const consumed = [parsed.ConsumedCapacity ?? []].flat();
              for (const c of consumed) {
                // DynamoDB Local reports only CapacityUnits: a read operation's units are read units.
                const isRead = /^(Get|Query|Scan|BatchGet|TransactGet)/.test(operation);
                usage.readUnits += c.ReadCapacityUnits ?? (isRead ? (c.CapacityUnits ?? 0) : 0);
                usage.writeUnits += c.WriteCapacityUnits ?? (isRead ? 0 : (c.CapacityUnits ?? 0));
              }
              if (injected && parsed.ConsumedCapacity !== undefined) {
                delete parsed.ConsumedCapacity;
                out = Buffer.from(JSON.stringify(parsed));
                outHeaders['content-length'] = String(out.length);
                if (outHeaders['x-amz-crc32'] !== undefined) outHeaders['x-amz-crc32'] = String(crc32(out));
              }
            }
            res.writeHead(answer.statusCode ?? 502, outHeaders);
            res.end(out);
          });
        },
      );
      forward.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      forward.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  const http = await listenLocally(server, 0, upstream.hostname);
  const answers = signal;
  const answer = (to: MessagePort, value: unknown) => {
    to.postMessage(value);
    Atomics.store(answers, 0, 1);
    Atomics.notify(answers, 0);
  };
  port.on('message', (call: CounterCall) => {
    switch (call.kind) {
      case 'snapshot': {
        const cpu = process.threadCpuUsage();
        answer(port, {
          usage: { ...usage, requests: { ...usage.requests } },
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
        return;
      }
      case 'trace':
        if (call.on) trace = [];
        tracing = call.on;
        answer(port, undefined);
        return;
      case 'traced':
        answer(port, trace);
        return;
      case 'close':
        void http.close().then(() => process.exit(0));
        return;
    }
  });
  parentPort?.postMessage(http.endpoint);
}

await serve(workerData as CounterThreadData);
