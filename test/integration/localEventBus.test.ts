import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BusEvent, EventLog } from '../../scripts/local/eventBus/eventLog';
import { type LocalEventBus, startLocalEventBus } from '../../scripts/local/eventBus/localEventBus';
import type { BusTarget } from '../../scripts/local/eventBus/targetDelivery';
import { waitFor } from '../../scripts/local/localStackClient';

/**
 * The local EventBridge bus through the real EventBridge client: durable log, de-duplication by the
 * domain event id, delivery with retries and a dead-letter folder that never holds up other targets; and
 * its log, which holds its events on disk and reads them back by position.
 */
let dir: string;
let receiver: Server;
let receiverUrl: string;
const received: BusEvent[] = [];

const busOptions = (targets: BusTarget[]) => ({
  dir,
  busName: 'ComplaintEvents',
  region: 'us-east-1',
  account: '000000000000',
  host: '127.0.0.1',
  port: 0,
  targets,
  retryDelaysMs: [10, 20],
  logger: { error: () => undefined },
});

const client = (bus: LocalEventBus) =>
  new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

const put = (bus: LocalEventBus, eventIds: string[]) =>
  client(bus).send(
    new PutEventsCommand({
      Entries: eventIds.map((eventId) => ({
        EventBusName: 'ComplaintEvents',
        Source: 'complaints',
        DetailType: 'ComplaintOpened',
        Detail: JSON.stringify({ eventId }),
      })),
    }),
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'complaints-bus-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as BusEvent);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  receiver.close();
  await rm(dir, { recursive: true, force: true });
});

describe('local event bus', () => {
  it('logs each domain event once, delivers it, and dead-letters what a target keeps refusing', async () => {
    const bus = await startLocalEventBus(
      busOptions([
        { name: 'refusing', url: 'http://127.0.0.1:9/unreachable' },
        { name: 'receiver', url: receiverUrl },
      ]),
    );
    const first = await put(bus, ['e1', 'e2']);
    expect(first.FailedEntryCount).toBe(0);
    // A redelivery (same event ids) is answered with the ids logged the first time.
    const again = await put(bus, ['e2', 'e3']);
    expect(again.Entries?.[0]?.EventId).toBe(first.Entries?.[1]?.EventId);
    await bus.drain();
    expect((await bus.events()).map((e) => e.detail.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(received.map((e) => e.detail.eventId)).toEqual(['e1', 'e2', 'e3']);
    const dead = await readdir(join(dir, 'targets', 'refusing', 'dead-letter'));
    expect(dead).toHaveLength(3);
    const letter = JSON.parse(
      await readFile(join(dir, 'targets', 'refusing', 'dead-letter', dead[0] as string), 'utf8'),
    );
    expect(letter).toMatchObject({ target: 'refusing', attempts: 3 });
    const log = await (await fetch(`${bus.endpoint}/events?after=1`)).json();
    expect(log).toMatchObject({
      next: 3,
      events: [{ detail: { eventId: 'e2' } }, { detail: { eventId: 'e3' } }],
    });
    await bus.close();
  });

  it('keeps its log and each target’s place across a restart', async () => {
    const bus = await startLocalEventBus(busOptions([{ name: 'receiver', url: receiverUrl }]));
    expect(await bus.events()).toHaveLength(3);
    const again = await put(bus, ['e1', 'e4']);
    expect(again.FailedEntryCount).toBe(0);
    await waitFor(async () => (received.length === 4 ? true : undefined), 'the new event delivered');
    await bus.drain();
    expect(received.map((e) => e.detail.eventId)).toEqual(['e1', 'e2', 'e3', 'e4']);
    await bus.close();
  });

  it('hands a queue target its events in batches, and tries again only the events a batch failed on', async () => {
    const batches: { ids: string[]; attempt: number }[] = [];
    const bus = await startLocalEventBus({
      ...busOptions([
        {
          name: 'queue',
          batch: {
            size: 3,
            windowMs: 60_000,
            handler: async (events, attempt) => {
              batches.push({ ids: events.map((e) => String(e.detail.eventId)), attempt });
              // b2 fails once; b5 always (its receives spent, it is dead-lettered).
              const failing = events.filter(
                (e) => e.detail.eventId === 'b5' || (e.detail.eventId === 'b2' && attempt === 1),
              );
              return { failed: failing.map((e) => e.id) };
            },
          },
        },
      ]),
      dir: join(dir, 'batches'),
    });
    await put(bus, ['b1', 'b2', 'b3', 'b4']);
    // A full batch goes at once; the one left waits for its window.
    await waitFor(async () => (batches.length === 2 ? true : undefined), 'the full batch and its retry');
    expect(batches).toEqual([
      { ids: ['b1', 'b2', 'b3'], attempt: 1 },
      { ids: ['b2'], attempt: 2 },
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(batches).toHaveLength(2);
    // A drain does not wait for the window.
    await put(bus, ['b5']);
    await bus.drain();
    expect(batches.slice(2)).toEqual([
      { ids: ['b4', 'b5'], attempt: 1 },
      { ids: ['b5'], attempt: 2 },
      { ids: ['b5'], attempt: 3 },
    ]);
    const dead = await readdir(join(dir, 'batches', 'targets', 'queue', 'dead-letter'));
    expect(dead).toHaveLength(1);
    await bus.close();
  });

  it('refuses entries for another bus or with a malformed detail, entry by entry', async () => {
    const bus = await startLocalEventBus(busOptions([]));
    const out = await client(bus).send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'other', Source: 'complaints', DetailType: 'X', Detail: '{}' },
          { EventBusName: 'ComplaintEvents', Source: 'complaints', DetailType: 'X', Detail: 'not json' },
          {
            EventBusName: 'ComplaintEvents',
            Source: 'complaints',
            DetailType: 'X',
            Detail: '{"eventId":"e5"}',
          },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ResourceNotFoundException',
      'MalformedDetail',
      'ok',
    ]);
    await bus.close();
  });
});

describe('the bus log', () => {
  const event = (i: number): BusEvent => ({
    version: '0',
    id: `bus-${i}`,
    'detail-type': 'ComplaintOpened',
    source: 'complaints',
    account: '000000000000',
    time: '2026-11-30T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { eventId: `e${i}`, text: 'ü'.repeat(i % 7) },
  });

  it('reads any stretch back from disk, keeps only the latest ids for de-duplication, and cuts a torn line at start', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'complaints-log-')), 'events.jsonl');
    const log = await EventLog.open(path);
    const count = 2_500;
    for (let i = 0; i < count; i += 50) {
      await log.append(Array.from({ length: 50 }, (_, j) => event(i + j)));
    }
    expect(log.count).toBe(count);
    // Around the sparse index's marks (every 1,024 events), from a position read before and not.
    for (const from of [0, 1, 1023, 1024, 1025, 2047, 2048, 2499]) {
      const events = await log.read(from, 3);
      expect(events.map((e) => e.id)).toEqual(
        Array.from({ length: Math.min(3, count - from) }, (_, j) => `bus-${from + j}`),
      );
    }
    expect((await log.read(100, 100)).map((e) => e.id)).toEqual(
      Array.from({ length: 100 }, (_, j) => `bus-${100 + j}`),
    );
    expect(await log.read(count, 10)).toEqual([]);

    // A redelivery of a recent event is dropped; one older than the window would be logged again.
    expect(log.find('complaints/e2499')).toBe('bus-2499');
    await log.append([event(2499)]);
    expect(log.count).toBe(count);

    // A crash mid-append leaves a line without its newline: never answered, so cut off at start.
    await appendFile(path, '{"version":"0","id":"torn"');
    const reopened = await EventLog.open(path);
    expect(reopened.count).toBe(count);
    expect((await reopened.read(count - 2, 5)).map((e) => e.id)).toEqual(['bus-2498', 'bus-2499']);
    expect(reopened.find('complaints/e2400')).toBe('bus-2400');
    await reopened.append([event(count)]);
    expect((await reopened.read(count, 1))[0]?.detail).toEqual(event(count).detail);
  });
});
