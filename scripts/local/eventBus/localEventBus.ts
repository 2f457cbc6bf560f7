import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listenLocally } from '../httpEndpoint';
import { type BusEvent, dedupeKeyOf, EventLog } from './eventLog';
import { type BusTarget, TargetDelivery } from './targetDelivery';

export interface LocalEventBusOptions {
  /** Folder of the log (`events.jsonl`) and of each target's cursor and dead letters. */
  dir: string;
  busName: string;
  region: string;
  account: string;
  host: string;
  port: number;
  targets: BusTarget[];
  retryDelaysMs?: number[];
  logger: { error(msg: string, extra?: object): void };
}

export interface LocalEventBus {
  endpoint: string;
  /** The logged events, read back from the log (tests and tools). */
  events(): Promise<BusEvent[]>;
  /** Resolves once every target has had every logged event (delivered or dead-lettered). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

const maxRequestBytes = 256 * 1024;

/**
 * A local EventBridge bus: the EventBridge `PutEvents` API (AWS JSON 1.1, what
 * @aws-sdk/client-eventbridge sends), answered once the entries are fsynced to the bus's log; delivery
 * to the subscribed targets with retries and a dead-letter folder; and `GET /events?after=<n>` to tail
 * the log. A domain event put twice (same `eventId` in its detail) while it is among the latest
 * events is logged once: the second put answers with the first one's id, as an idempotent consumer would
 * see it (see `dedupeWindow`).
 */
export async function startLocalEventBus(options: LocalEventBusOptions): Promise<LocalEventBus> {
  const log = await EventLog.open(join(options.dir, 'events.jsonl'));
  const deliveries = options.targets.map(
    (t) =>
      new TargetDelivery(t, log, {
        dir: join(options.dir, 'targets'),
        retryDelaysMs: options.retryDelaysMs ?? [200, 1_000, 5_000],
        logger: options.logger,
      }),
  );
  const busArn = `arn:aws:events:${options.region}:${options.account}:event-bus/${options.busName}`;

  async function putEvents(body: { Entries?: PutEventsEntry[] }) {
    const entries = body.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) {
      throw new BusError('ValidationException', 'Entries must hold 1 to 10 entries');
    }
    const results: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] = [];
    const accepted: BusEvent[] = [];
    for (const entry of entries) {
      const bus = entry.EventBusName ?? 'default';
      if (bus !== options.busName && bus !== busArn) {
        results.push({
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Event bus ${bus} does not exist.`,
        });
        continue;
      }
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(entry.Detail ?? '') as Record<string, unknown>;
      } catch {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      if (!entry.Source || !entry.DetailType) {
        results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required.' });
        continue;
      }
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: options.account,
        time: timeOf(entry.Time),
        region: options.region,
        resources: entry.Resources ?? [],
        detail,
      };
      const logged =
        log.find(dedupeKeyOf(event)) ?? accepted.find((a) => dedupeKeyOf(a) === dedupeKeyOf(event))?.id;
      results.push({ EventId: logged ?? event.id });
      if (!logged) accepted.push(event);
    }
    await log.append(accepted);
    for (const d of deliveries) d.notify();
    return {
      FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
      Entries: results,
    };
  }

  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://bus');
      if (request.method === 'GET' && url.pathname === '/events') {
        const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0);
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
        const events = await log.read(after, limit);
        return send(response, 200, 'application/json', { events, next: after + events.length });
      }
      if (request.method === 'POST' && request.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
        return send(response, 200, 'application/x-amz-json-1.1', await putEvents(await readJson(request)));
      }
      throw new BusError(
        'UnknownOperationException',
        `Unknown operation ${String(request.headers['x-amz-target'])}`,
      );
    } catch (e) {
      if (e instanceof BusError) return send(response, 400, 'application/x-amz-json-1.1', e.toJSON());
      options.logger.error('event bus request failed', { error: e });
      send(response, 500, 'application/x-amz-json-1.1', { __type: 'InternalException', message: String(e) });
    }
  });
  const http = await listenLocally(server, options.port, options.host);
  for (const d of deliveries) await d.start();
  return {
    endpoint: http.endpoint,
    events: () => log.readAll(),
    drain: async () => {
      await Promise.all(deliveries.map((d) => d.drain()));
    },
    close: async () => {
      await http.close();
      await Promise.all(deliveries.map((d) => d.close()));
    },
  };
}

class BusError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
  toJSON() {
    return { __type: this.type, message: this.message };
  }
}

const timeOf = (t: number | string | undefined) =>
  (t === undefined ? new Date() : new Date(typeof t === 'number' ? t * 1000 : t))
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

function send(response: ServerResponse, status: number, type: string, body: unknown) {
  response.writeHead(status, { 'Content-Type': type, 'x-amzn-RequestId': randomUUID() });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<{ Entries?: PutEventsEntry[] }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxRequestBytes)
      throw new BusError('ValidationException', 'Total size of the entries exceeds 256 KB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new BusError('SerializationException', 'The request body is not valid JSON');
  }
}
