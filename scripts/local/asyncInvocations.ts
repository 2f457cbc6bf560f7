import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJsonRecords, removeDurably, writeDurably } from './durableFiles';

/** The subset of a logger (console, Powertools Logger) the invocations write to. */
export interface InvocationLogger {
  info(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface AsyncInvocationsOptions<E> {
  /** Names the function in logs. */
  name: string;
  /** One `<id>.json` per event not yet handled: what Lambda's async event queue holds on AWS. */
  spoolDir: string;
  /** Where an event goes once its retries are spent (the function's dead-letter queue). */
  deadLetterDir: string;
  handler: (event: E) => Promise<unknown>;
  /**
   * Waits before the retries of a failed invocation. Lambda retries twice, about 1 and 2 minutes apart;
   * locally 5 s and 30 s, as for intake: long enough for a transient fault of the embedded parts to pass.
   */
  retryDelaysMs?: number[];
  logger?: InvocationLogger;
}

/** A spooled event and, once dead-lettered, why it failed. */
interface SpooledEvent<E> {
  id: string;
  spooledAt: string;
  event: E;
  error?: string;
  attempts?: number;
}

export interface AsyncInvocations<E> {
  /**
   * Lambda's asynchronous invocation (as SNS invokes a function): resolves once the event is on disk
   * (fsynced), then runs the handler in the background, retrying and finally dead-lettering it. A crash
   * leaves the spool entry, delivered again at the next start, so an event is handled at least once.
   */
  invoke(id: string, event: E): Promise<void>;
  /** Resolves when every invocation started so far has succeeded or been dead-lettered. */
  drain(): Promise<void>;
}

/**
 * Local stand-in for a Lambda function invoked asynchronously (event queue, retries, dead-letter queue),
 * durable across crashes. Events left in the spool by an earlier run are delivered at start.
 */
export async function startAsyncInvocations<E>(
  options: AsyncInvocationsOptions<E>,
): Promise<AsyncInvocations<E>> {
  const logger = options.logger ?? console;
  const retryDelays = options.retryDelaysMs ?? [5_000, 30_000];
  const inFlight = new Set<Promise<void>>();
  const spoolPath = (id: string) => join(options.spoolDir, `${id}.json`);

  const deliver = async (spooled: SpooledEvent<E>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await options.handler(spooled.event);
        await removeDurably(spoolPath(spooled.id));
        return;
      } catch (err) {
        const delay = retryDelays[attempt];
        const extra = { function: options.name, id: spooled.id, attempts: attempt + 1, error: String(err) };
        if (delay === undefined) {
          const dead: SpooledEvent<E> = { ...spooled, error: String(err), attempts: attempt + 1 };
          await writeDurably(join(options.deadLetterDir, `${spooled.id}.json`), JSON.stringify(dead));
          await removeDurably(spoolPath(spooled.id));
          logger.error('Asynchronous invocation failed after retries; dead-lettered', {
            ...extra,
            deadLetterDir: options.deadLetterDir,
          });
          return;
        }
        logger.info('Asynchronous invocation failed; retrying', extra);
        await sleep(delay);
      }
    }
  };

  const track = (spooled: SpooledEvent<E>) => {
    const tracked: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => deliver(spooled))
      // Only a failing disk gets here; the spool entry stays and is delivered at the next start.
      .catch((err: unknown) => logger.error('Asynchronous invocation failed', { error: String(err) }))
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  for (const spooled of await readSpool<E>(options.spoolDir)) track(spooled);

  return {
    async invoke(id, event) {
      const spooled: SpooledEvent<E> = { id, spooledAt: new Date().toISOString(), event };
      await writeDurably(spoolPath(id), JSON.stringify(spooled));
      track(spooled);
    },
    async drain() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/** The spool entries in `dir`, oldest first. */
async function readSpool<E>(dir: string): Promise<SpooledEvent<E>[]> {
  const entries = await readJsonRecords<SpooledEvent<E>>(dir);
  return entries.sort((a, b) => a.spooledAt.localeCompare(b.spooledAt));
}
