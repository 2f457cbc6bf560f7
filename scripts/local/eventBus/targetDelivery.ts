import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurably } from '../durableFiles';
import type { BusEvent, EventLog } from './eventLog';

/** A subscriber of the local bus: a rule (detail types, empty = all) and where matching events go. */
export interface BusTarget {
  name: string;
  detailTypes?: string[];
  /** Further, the rest of the rule: whether an event matches it (e.g. the stack's rule's event pattern). */
  matches?: (event: BusEvent) => boolean;
  /**
   * This target's waits between attempts, instead of the bus's (a queue's: its visibility timeout,
   * as many times as it receives a message again before its dead-letter queue).
   */
  retryDelaysMs?: number[];
  /** An HTTP endpoint (POST, the event as JSON, any 2xx is delivered) or an in-process Lambda handler. */
  url?: string;
  handler?: (event: BusEvent) => Promise<unknown>;
  /**
   * A queue between the rule and a function, as Lambda's SQS event source takes it: up to `size`
   * events, gathered for up to `windowMs`, in one call that answers the ids of the events that failed
   * (a partial batch failure: those alone are tried again). Instead of `url` and `handler`.
   */
  batch?: {
    size: number;
    windowMs: number;
    handler: (events: BusEvent[], attempt: number) => Promise<{ failed: string[] }>;
  };
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
  /** A batch's window while it gathers events, cut short by `drain`. */
  private gathering?: { cancel(): void };
  private draining = 0;

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

  /** Resolves once every logged event has been delivered or dead-lettered (a batch goes at once). */
  async drain() {
    this.draining += 1;
    this.gathering?.cancel();
    try {
      await this.drained();
    } finally {
      this.draining -= 1;
    }
  }

  private async drained() {
    while (this.running || this.cursor < this.log.count) {
      if (!this.running) this.notify();
      await this.running;
    }
  }

  async close() {
    this.closed = true;
    this.timer?.cancel();
    this.gathering?.cancel();
    await this.running?.catch(() => undefined);
  }

  private async run() {
    this.wake = false;
    if (this.target.batch) return this.runBatches(this.target.batch);
    let saved = this.cursor;
    while (!this.closed && this.cursor < this.log.count) {
      for (const event of await this.log.read(this.cursor, 100)) {
        if (this.wants(event)) await this.deliverWithRetries(event);
        if (this.closed) break;
        this.cursor += 1;
        // The cursor is saved once caught up (or every 100 events): a crash repeats at most those.
        if (this.cursor - saved >= 100) saved = await this.saveCursor();
      }
    }
    if (this.cursor !== saved) await this.saveCursor();
  }

  /**
   * The queue's way: wait out the batching window unless a full batch is waiting (or a drain asks),
   * hand over the wanted events of up to `size` logged ones, try the failed ones again, and save the
   * cursor after each batch (a crash repeats at most that batch).
   */
  private async runBatches(batch: NonNullable<BusTarget['batch']>) {
    while (!this.closed && this.cursor < this.log.count) {
      if (this.log.count - this.cursor < batch.size && this.draining === 0) {
        await this.sleep(batch.windowMs, 'gathering');
        this.gathering = undefined;
        if (this.closed) return;
      }
      const events = await this.log.read(this.cursor, batch.size);
      const wanted = events.filter((e) => this.wants(e));
      if (wanted.length > 0) await this.deliverBatchWithRetries(batch, wanted);
      if (this.closed) return;
      this.cursor += events.length;
      await this.saveCursor();
    }
  }

  /** Whether the target's rule matches the event. */
  private wants(event: BusEvent) {
    const { detailTypes, matches } = this.target;
    return (!detailTypes?.length || detailTypes.includes(event['detail-type'])) && (matches?.(event) ?? true);
  }

  private get retryDelaysMs() {
    return this.target.retryDelaysMs ?? this.options.retryDelaysMs;
  }

  private async deliverBatchWithRetries(batch: NonNullable<BusTarget['batch']>, events: BusEvent[]) {
    const { retryDelaysMs } = this;
    let pending = events;
    let error = '';
    for (let attempt = 0; attempt <= retryDelaysMs.length && pending.length > 0; attempt++) {
      if (attempt > 0) await this.sleep(retryDelaysMs[attempt - 1] ?? 0);
      if (this.closed) return;
      try {
        const failed = new Set((await batch.handler(pending, attempt + 1)).failed);
        pending = pending.filter((e) => failed.has(e.id));
        error = 'reported as a batch item failure';
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
    for (const event of pending) await this.deadLetter(event, error);
  }

  private async deadLetter(event: BusEvent, error: string) {
    const { retryDelaysMs } = this;
    await writeDurably(
      join(this.options.dir, this.target.name, 'dead-letter', `${event.id}.json`),
      `${JSON.stringify({ target: this.target.name, attempts: retryDelaysMs.length + 1, error, event }, null, 2)}\n`,
    );
    this.options.logger.error('event dead-lettered', { target: this.target.name, eventId: event.id, error });
  }

  private async saveCursor() {
    await writeDurably(this.cursorFile, String(this.cursor));
    return this.cursor;
  }

  private async deliverWithRetries(event: BusEvent) {
    const { retryDelaysMs } = this;
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
    await this.deadLetter(event, lastError instanceof Error ? lastError.message : String(lastError));
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

  /** Waits `ms`, or until the wait kept in `slot` is cancelled (a retry's by `close`, a batch's window by `drain` too). */
  private sleep(ms: number, slot: 'timer' | 'gathering' = 'timer') {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this[slot] = {
        cancel: () => {
          clearTimeout(t);
          resolve();
        },
      };
    });
  }
}
