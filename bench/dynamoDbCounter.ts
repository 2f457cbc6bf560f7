import { createServer, request } from 'node:http';
import { crc32 } from 'node:zlib';
import { listenLocally } from '../scripts/local/httpEndpoint';

/** DynamoDB requests counted at the emulator, per operation, with the capacity units they consumed. */
export interface DynamoDbUsage {
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

export const emptyUsage = (): DynamoDbUsage => ({ requests: {}, readUnits: 0, writeUnits: 0 });

/** `a - b`: the usage of the window between two snapshots. */
export function usageSince(a: DynamoDbUsage, b: DynamoDbUsage): DynamoDbUsage {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(a.requests)) {
    const d = n - (b.requests[op] ?? 0);
    if (d > 0) requests[op] = d;
  }
  return { requests, readUnits: a.readUnits - b.readUnits, writeUnits: a.writeUnits - b.writeUnits };
}

/** The header a metered stack's requests name their invocation in (removed before DynamoDB Local). */
export const callerHeader = 'x-bench-caller';

/** One request as the breakdown shows it: who sent it, the operation, and the kinds of items it names. */
export interface TracedRequest {
  caller: string;
  operation: string;
  items: string;
  /** The body as DynamoDB Local received it (ReturnConsumedCapacity included): what a replay sends. */
  body: string;
  /** The error DynamoDB Local answered with (a refused condition, a cancelled transaction), if any. */
  refused?: string;
  /** When the request reached the proxy and when its answer was back (performance.now, ms). */
  sentAt: number;
  answeredAt?: number;
}

/** The error type of a DynamoDB answer (`__type` without its namespace). */
export const errorType = (answer: string, status: number | undefined) =>
  String((JSON.parse(answer || '{}') as { __type?: string }).__type ?? status).replace(/^.*#/, '');

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

export const totalRequests = (u: DynamoDbUsage) => Object.values(u.requests).reduce((s, n) => s + n, 0);

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

export interface DynamoDbCounter {
  endpoint: string;
  /** Usage so far (a copy). */
  snapshot(): DynamoDbUsage;
  /** Starts (or stops) recording every request; starting clears what was recorded. */
  trace(on: boolean): void;
  /** The requests recorded since tracing started. */
  traced(): TracedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of DynamoDB Local that counts every request per operation (X-Amz-Target) and
 * asks for ReturnConsumedCapacity on each, so the read and write units a request would be billed on
 * AWS are summed. The units are taken out of the answer again when the caller had not asked for them,
 * so the code under test sees what it would see without the proxy. DynamoDB Local does not verify
 * request signatures, so the rewritten body is accepted; the answer's x-amz-crc32 is recomputed.
 */
export async function startDynamoDbCounter(target: string): Promise<DynamoDbCounter> {
  const upstream = new URL(target);
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
          sentAt: performance.now(),
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
              traced.answeredAt = performance.now();
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
  return {
    endpoint: http.endpoint,
    snapshot: () => ({ ...usage, requests: { ...usage.requests } }),
    trace: (on) => {
      if (on) trace = [];
      tracing = on;
    },
    traced: () => [...trace],
    close: http.close,
  };
}
