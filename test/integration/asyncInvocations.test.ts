import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAsyncInvocations } from '../../scripts/local/asyncInvocations';

// The local stand-in for Lambda's asynchronous invocation (how SNS invokes the SES feedback function):
// an event is on disk before `invoke` resolves, survives a crash, is retried, then dead-lettered.
let dir: string;
const folders = () => ({ spoolDir: join(dir, 'spool'), deadLetterDir: join(dir, 'dead-letter') });
const quiet = { info: () => undefined, error: () => undefined };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'complaints-async-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('asynchronous invocations', () => {
  it('delivers at start what a crashed run had spooled, then keeps no entry', async () => {
    // A run whose handler never completes stands for a process killed after the event was spooled.
    const crashed = await startAsyncInvocations({
      name: 'feedback',
      ...folders(),
      handler: () => new Promise(() => undefined),
      logger: quiet,
    });
    await crashed.invoke('n-1', { n: 1 });
    expect(await readdir(folders().spoolDir)).toEqual(['n-1.json']);

    const received: unknown[] = [];
    const restarted = await startAsyncInvocations({
      name: 'feedback',
      ...folders(),
      handler: async (event) => void received.push(event),
      logger: quiet,
    });
    await restarted.drain();
    expect(received).toEqual([{ n: 1 }]);
    expect(await readdir(folders().spoolDir)).toEqual([]);
  });

  it('retries a failing handler with the same event, then dead-letters it with the error', async () => {
    let attempts = 0;
    const invocations = await startAsyncInvocations({
      name: 'feedback',
      ...folders(),
      handler: async () => {
        attempts += 1;
        throw new Error('table unavailable');
      },
      retryDelaysMs: [10, 10],
      logger: quiet,
    });
    await invocations.invoke('n-2', { n: 2 });
    await invocations.drain();
    expect(attempts).toBe(3);
    expect(await readdir(folders().spoolDir)).toEqual([]);
    const dead = JSON.parse(await readFile(join(folders().deadLetterDir, 'n-2.json'), 'utf8'));
    expect(dead).toMatchObject({
      id: 'n-2',
      event: { n: 2 },
      attempts: 3,
      error: 'Error: table unavailable',
    });
  });
});
