import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';

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

/**
 * The bus's append-only log: one JSON event per line. An append is answered only once it is fsynced,
 * so an event the bus accepted survives a crash; a line torn by a crash (no newline yet) was never
 * accepted and is cut off at start.
 */
export class EventLog {
  readonly events: BusEvent[] = [];
  private readonly ids = new Map<string, BusEvent>();
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<EventLog> {
    await mkdir(dirname(path), { recursive: true });
    const log = new EventLog(path);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < Buffer.byteLength(text)) await truncate(path, Buffer.byteLength(text.slice(0, complete)));
    for (const line of text.slice(0, complete).split('\n')) {
      if (line) log.remember(JSON.parse(line) as BusEvent);
    }
    return log;
  }

  /** The event already logged under a domain event id (a redelivery), if any. */
  find(dedupeKey: string): BusEvent | undefined {
    return this.ids.get(dedupeKey);
  }

  /** Appends the events durably, in order; one append at a time. */
  append(events: BusEvent[]): Promise<void> {
    const run = this.tail.then(async () => {
      const seen = new Set<string>();
      const fresh = events.filter((e) => {
        const key = dedupeKeyOf(e);
        if (this.ids.has(key) || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (fresh.length === 0) return;
      const file = await open(this.path, 'a');
      try {
        await file.writeFile(fresh.map((e) => `${JSON.stringify(e)}\n`).join(''));
        await file.sync();
      } finally {
        await file.close();
      }
      for (const e of fresh) this.remember(e);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private remember(event: BusEvent) {
    this.events.push(event);
    this.ids.set(dedupeKeyOf(event), event);
  }
}

/** Domain events carry their own id (the same on every redelivery); anything else is keyed by the bus id. */
export const dedupeKeyOf = (event: BusEvent): string =>
  typeof event.detail.eventId === 'string' ? `${event.source}/${event.detail.eventId}` : event.id;
