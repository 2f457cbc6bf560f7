import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurably } from '../durableFiles';
import type { BusEvent, EventLog } from './eventLog';

/** A subscriber of the local bus: a rule (detail types, empty = all) and where matching events go. */
export interface BusTarget {
  name: string;
  detailTypes?: string[];
  /** An HTTP endpoint (POST, the event as JSON, any 2xx is delivered) or an in-process Lambda handler. */
  url?: string;
  handler?: (event: BusEvent) => Promise<unknown>;
}

export interface DeliveryOptions {
  /** Where each target keeps its cursor and dead letters. */
  dir: string;
  /** Waits between attempts (EventBridge retries with backoff, then sends to the target's DLQ). */
  retryDelaysMs: number[];
  logger: { error(msg: string, extra?: object): void };
}

/**
 * Delivers the log to one target, in log order, at least once: its cursor (the count of events handled)
 * is written durably each time it has caught up, so a crash repeats at most the events since (consumers
 * dedupe on the event id). A failing event is retried, then written to the target's dead-letter folder and
 * passed; each target has its own loop, so a slow or failing target never holds up the bus or others.
 */
export class TargetDelivery {
  private cursor = 0;
  private running?: Promise<void>;
  private wake = false;
  private closed = false;
  private timer?: { cancel(): void };

  constructor(
    private readonly target: BusTarget,
    private readonly log: EventLog,
    private readonly options: DeliveryOptions,
  ) {}

  private get cursorFile() {
    return join(this.options.dir, this.target.name, 'cursor');
  }

  async start() {
    try {
      this.cursor = Number((await readFile(this.cursorFile, 'utf8')).trim()) || 0;
    } catch {
      this.cursor = 0;
    }
    this.notify();
  }

  /** New events are in the log. */
  notify() {
    if (this.closed) return;
    this.wake = true;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      if (this.wake) this.notify();
    });
  }

  /** Resolves once every logged event has been delivered or dead-lettered. */
  async drain() {
    while (this.running || this.cursor < this.log.count) {
      if (!this.running) this.notify();
      await this.running;
    }
  }

  async close() {
    this.closed = true;
    this.timer?.cancel();
    await this.running?.catch(() => undefined);
  }

  private async run() {
    this.wake = false;
    let saved = this.cursor;
    while (!this.closed && this.cursor < this.log.count) {
      for (const event of await this.log.read(this.cursor, 100)) {
        const wanted =
          !this.target.detailTypes?.length || this.target.detailTypes.includes(event['detail-type']);
        if (wanted) await this.deliverWithRetries(event);
        if (this.closed) break;
        this.cursor += 1;
        // The cursor is saved once caught up (or every 100 events): a crash repeats at most those.
        if (this.cursor - saved >= 100) saved = await this.saveCursor();
      }
    }
    if (this.cursor !== saved) await this.saveCursor();
  }

  private async saveCursor() {
    await writeDurably(this.cursorFile, String(this.cursor));
    return this.cursor;
  }

  private async deliverWithRetries(event: BusEvent) {
    const { retryDelaysMs } = this.options;
    let lastError: unknown;
    for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
      if (attempt > 0) await this.sleep(retryDelaysMs[attempt - 1] ?? 0);
      if (this.closed) return;
      try {
        await this.deliver(event);
        return;
      } catch (e) {
        lastError = e;
      }
    }
    const error = lastError instanceof Error ? lastError.message : String(lastError);
    await writeDurably(
      join(this.options.dir, this.target.name, 'dead-letter', `${event.id}.json`),
      `${JSON.stringify({ target: this.target.name, attempts: retryDelaysMs.length + 1, error, event }, null, 2)}\n`,
    );
    this.options.logger.error('event dead-lettered', { target: this.target.name, eventId: event.id, error });
  }

  private async deliver(event: BusEvent) {
    if (this.target.handler) {
      await this.target.handler(event);
      return;
    }
    const response = await fetch(this.target.url ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.timer = {
        cancel: () => {
          clearTimeout(t);
          resolve();
        },
      };
    });
  }
}
