import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaWorkerPool, startLambdaWorkerPool } from '../../scripts/local/lambdaWorkerPool';

/**
 * The API's execution environments as worker threads: a stand-in bundle (what `handlerFor(runtime)`
 * exports) run by the pool, concurrently, with a failing handler, a dying worker and a closed pool.
 */
const bundle = `
import { get } from 'node:http';
import { threadId } from 'node:worker_threads';
export const handlerFor = (runtime) => async (event) => {
  if (event.fail) throw Object.assign(new Error('refused: ' + event.fail), { name: 'ConflictError' });
  if (event.exit) process.exit(3);
  if (event.call) await new Promise((resolve, reject) => get(event.call, (res) => res.resume().on('end', resolve)).on('error', reject));
  // Held until released, so that invocations overlap.
  if (event.hold) await new Promise((resolve) => setTimeout(resolve, event.hold));
  return { greeting: runtime.env.GREETING, n: event.n, threadId };
};
`;

interface Event {
  n?: number;
  fail?: string;
  exit?: boolean;
  call?: string;
  hold?: number;
}
interface Result {
  greeting: string;
  n: number;
  threadId: number;
}

let dir: string;
let bundleFile: string;
let server: Server;
const seenHeaders: (string | undefined)[] = [];
const open: LambdaWorkerPool<Event, Result>[] = [];
const pool = (size: number, requestHeaders?: () => Record<string, string> | undefined) => {
  const started = startLambdaWorkerPool<Event, Result>({
    bundleFile,
    runtime: { env: { GREETING: 'hello' } },
    size,
    ...(requestHeaders ? { requestHeaders } : {}),
  });
  open.push(started);
  return started;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worker-pool-'));
  bundleFile = join(dir, 'handler.mjs');
  await writeFile(bundleFile, bundle);
  server = createServer((req, res) => {
    seenHeaders.push(req.headers['x-invocation'] as string | undefined);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startLambdaWorkerPool', () => {
  it('runs concurrent invocations on up to `size` workers, each with the runtime it was given', async () => {
    const workers = pool(2);
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => workers.invoke({ n, hold: 100 })));
    expect(results.map((r) => r.n)).toEqual([...Array(10).keys()]);
    expect(results.every((r) => r.greeting === 'hello')).toBe(true);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
  });

  it("rejects with the handler's error and keeps serving", async () => {
    const workers = pool(1);
    await expect(workers.invoke({ fail: 'version' })).rejects.toMatchObject({
      name: 'ConflictError',
      message: 'refused: version',
    });
    await expect(workers.invoke({ n: 1 })).resolves.toMatchObject({ n: 1 });
  });

  it('fails the invocations of a worker that dies and starts another for the next one', async () => {
    const workers = pool(1);
    const before = await workers.invoke({ n: 1 });
    await expect(workers.invoke({ exit: true })).rejects.toThrow(/exited/);
    const after = await workers.invoke({ n: 2 });
    expect(after.n).toBe(2);
    expect(after.threadId).not.toBe(before.threadId);
  });

  it("puts the caller's headers, taken when it invokes, on the requests each invocation sends", async () => {
    const { port } = server.address() as AddressInfo;
    let current = 'first';
    const workers = pool(1, () => ({ 'x-invocation': current }));
    const first = workers.invoke({ call: `http://127.0.0.1:${port}/` });
    current = 'second';
    const second = workers.invoke({ call: `http://127.0.0.1:${port}/` });
    await Promise.all([first, second]);
    expect(seenHeaders.sort()).toEqual(['first', 'second']);
  });

  it('refuses invocations once closed', async () => {
    const workers = pool(1);
    await workers.invoke({ n: 1 });
    await workers.close();
    await expect(workers.invoke({ n: 2 })).rejects.toThrow(/closed/);
  });
});
