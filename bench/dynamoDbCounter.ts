import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

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
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      usage.requests[operation] = (usage.requests[operation] ?? 0) + 1;
      let body = Buffer.concat(chunks);
      let injected = false;
      if (metered.has(operation)) {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        if (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE') {
          input.ReturnConsumedCapacity = 'TOTAL';
          injected = true;
          body = Buffer.from(JSON.stringify(input));
        }
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
  await new Promise<void>((resolve) => server.listen(0, upstream.hostname, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${upstream.hostname}:${port}`,
    snapshot: () => ({ ...usage, requests: { ...usage.requests } }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
