import { mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RecentMap } from '../recentMap';

/** An event as EventBridge delivers it to targets (the envelope around the published detail). */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Every this many events the log notes the byte offset of one, to seek near any event without a scan. */
const indexEvery = 1024;
/**
 * How many of the latest events' domain ids the log remembers to drop a redelivery. A publisher puts an
 * event again only while the stream record it came from is not yet checkpointed (a failed batch, a crash
 * before the checkpoint): seconds to minutes behind the head, far fewer events than this. Older ids are
 * forgotten, as EventBridge itself keeps none (consumers dedupe on the event id anyway).
 */
export const dedupeWindow = 10_000;

/**
 * The bus's append-only log: one JSON event per line. An append is answered only once it is fsynced,
 * so an event the bus accepted survives a crash; a line torn by a crash (no newline yet) was never
 * accepted and is cut off at start.
 *
 * The events live on disk, not in memory: readers read them back by position (`read`), from a sparse
 * index of byte offsets (one per {@link indexEvery} events) and the positions readers reached last. What
 * the log holds in memory does not grow with the events it has logged, beyond a number per thousand.
 */
export class EventLog {
  private eventCount = 0;
  private bytes = 0;
  /** Byte offset of event i * indexEvery. */
  private readonly index: number[] = [];
  /** Domain dedupe key -> bus event id, of the latest {@link dedupeWindow} events (insertion order). */
  private readonly recent = new RecentMap<string, string>(dedupeWindow);
  /**
   * Where the events after recent reads start: event position -> byte offset (a reader per target and
   * the tail endpoint: a few positions are enough).
   */
  private readonly resumeAt = new RecentMap<number, number>(32);
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<EventLog> {
    await mkdir(dirname(path), { recursive: true });
    const log = new EventLog(path);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return log;
    }
    for await (const line of completeLines(path, 0)) {
      log.remember(JSON.parse(line.text.toString('utf8')) as BusEvent, line.start, line.end);
    }
    if (log.bytes < size) await truncate(path, log.bytes);
    return log;
  }

  /** How many events are logged. */
  get count(): number {
    return this.eventCount;
  }

  /** The id the bus gave an event already logged under this domain dedupe key (a redelivery), if any. */
  find(dedupeKey: string): string | undefined {
    return this.recent.get(dedupeKey);
  }

  /** Appends the events durably, in order; one append at a time. */
  append(events: BusEvent[]): Promise<void> {
    const run = this.tail.then(async () => {
      const seen = new Set<string>();
      const fresh = events.filter((e) => {
        const key = dedupeKeyOf(e);
        if (this.recent.has(key) || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (fresh.length === 0) return;
      const lines = fresh.map((e) => `${JSON.stringify(e)}\n`);
      const file = await open(this.path, 'a');
      try {
        await file.writeFile(lines.join(''));
        await file.sync();
      } finally {
        await file.close();
      }
      fresh.forEach((e, i) => {
        const start = this.bytes;
        this.remember(e, start, start + Buffer.byteLength(lines[i] as string));
      });
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Up to `limit` logged events from position `from` (0-based), in log order. */
  async read(from: number, limit: number): Promise<BusEvent[]> {
    const end = Math.min(this.eventCount, from + limit);
    if (from >= end) return [];
    const known = this.resumeAt.get(from);
    let position = known === undefined ? Math.floor(from / indexEvery) * indexEvery : from;
    const offset = known ?? (this.index[position / indexEvery] as number);
    const events: BusEvent[] = [];
    let next = offset;
    for await (const line of completeLines(this.path, offset)) {
      if (position >= from) events.push(JSON.parse(line.text.toString('utf8')) as BusEvent);
      position += 1;
      next = line.end;
      if (position >= end) break;
    }
    this.resumeAt.set(position, next);
    return events;
  }

  /** Every logged event (tests and tools; reads the whole log). */
  async readAll(): Promise<BusEvent[]> {
    return this.read(0, this.eventCount);
  }

  private remember(event: BusEvent, start: number, end: number) {
    if (this.eventCount % indexEvery === 0) this.index.push(start);
    this.eventCount += 1;
    this.bytes = end;
    this.recent.set(dedupeKeyOf(event), event.id);
  }
}

/**
 * The complete lines of a file from byte `offset` (each with its byte range, the newline included); a
 * last line without its newline (torn by a crash) is not one.
 */
async function* completeLines(path: string, offset: number) {
  const file = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let pending = Buffer.alloc(0);
    let start = offset;
    let readAt = offset;
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, chunk.length, readAt);
      if (bytesRead === 0) return;
      readAt += bytesRead;
      pending = pending.length
        ? Buffer.concat([pending, chunk.subarray(0, bytesRead)])
        : Buffer.from(chunk.subarray(0, bytesRead));
      let newline = pending.indexOf(10);
      while (newline >= 0) {
        const end = start + newline + 1;
        if (newline > 0) yield { text: pending.subarray(0, newline), start, end };
        start = end;
        pending = pending.subarray(newline + 1);
        newline = pending.indexOf(10);
      }
    }
  } finally {
    await file.close();
  }
}

/** Domain events carry their own id (the same on every redelivery); anything else is keyed by the bus id. */
export const dedupeKeyOf = (event: BusEvent): string =>
  typeof event.detail.eventId === 'string' ? `${event.source}/${event.detail.eventId}` : event.id;
