import { once } from 'node:events';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

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

/** The header a metered stack's requests name their invocation in (removed before DynamoDB Local). */
export const callerHeader = 'x-bench-caller';

/** One request as the breakdown shows it: who sent it, the operation, and the kinds of items it names. */
export interface TracedRequest {
  caller: string;
  operation: string;
  items: string;
  /** The body as DynamoDB Local received it (ReturnConsumedCapacity included): what a replay sends. */
  body: string;
  /** The error DynamoDB Local answered with (a refused condition, a cancelled transaction), if any. */
  refused?: string;
  /** When the request reached the proxy and when its answer was back (performance.now, ms). */
  sentAt: number;
  answeredAt?: number;
}

/** The error type of a DynamoDB answer (`__type` without its namespace). */
export const errorType = (answer: string, status: number | undefined) =>
  String((JSON.parse(answer || '{}') as { __type?: string }).__type ?? status).replace(/^.*#/, '');

export const totalRequests = (u: DynamoDbUsage) => Object.values(u.requests).reduce((s, n) => s + n, 0);

export interface DynamoDbCounter {
  endpoint: string;
  /** Usage so far (a copy). */
  snapshot(): DynamoDbUsage;
  /** CPU time the counter's thread has used so far (user + system, ms). */
  cpuMs(): number;
  /** Starts (or stops) recording every request; starting clears what was recorded. */
  trace(on: boolean): void;
  /** The requests recorded since tracing started. */
  traced(): TracedRequest[];
  close(): Promise<void>;
}

/** What the stack's thread asks the counter's thread (bench/dynamoDbCounterThread.ts). */
export type CounterCall =
  | { kind: 'snapshot' }
  | { kind: 'trace'; on: boolean }
  | { kind: 'traced' }
  | { kind: 'close' };

/** What the counter's thread is started with. */
export interface CounterThreadData {
  /** DynamoDB Local's endpoint. */
  target: string;
  /** The port the calls come in on and are answered on. */
  port: MessagePort;
  /** Set to 1 (and notified) once an answer has been posted. */
  signal: Int32Array;
  /** performance.timeOrigin of the starting thread: recorded times are on its clock. */
  timeOrigin: number;
}

/**
 * Starts the counting proxy in front of DynamoDB Local (`target`) on a worker thread of its own
 * (bench/dynamoDbCounterThread.ts), so that its HTTP hops, JSON rewriting and recording cost the stack's
 * thread nothing: that thread's CPU is the product's, and the proxy's is counted apart (`cpuMs`). The
 * stack's thread asks for snapshots and the recorded requests synchronously (it blocks until the answer
 * is posted, well under a millisecond while the proxy thread is not busy), so they are taken when they
 * are asked for, as with the proxy on the same thread.
 */
export async function startDynamoDbCounter(target: string): Promise<DynamoDbCounter> {
  const { port1: port, port2: theirs } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const data: CounterThreadData = { target, port: theirs, signal, timeOrigin: performance.timeOrigin };
  const worker = new Worker(new URL('./dynamoDbCounterThread.ts', import.meta.url), {
    workerData: data,
    transferList: [theirs],
    // The thread is TypeScript, loaded by tsx as the bench's suites are (not the suite's V8 flags).
    execArgv: ['--import', 'tsx'],
  });
  const started = once(worker, 'message') as Promise<[string]>;
  const failed = once(worker, 'error').then(([e]) => Promise.reject(e as Error));
  const [endpoint] = await Promise.race([started, failed]);
  // The stack's servers keep the process alive while it runs, not the counter.
  worker.unref();
  port.unref();
  const call = <T>(message: CounterCall): T => {
    Atomics.store(signal, 0, 0);
    port.postMessage(message);
    if (Atomics.wait(signal, 0, 0, 30_000) === 'timed-out') {
      throw new Error(`the DynamoDB counter's thread did not answer ${message.kind} within 30 s`);
    }
    return (receiveMessageOnPort(port) as { message: T }).message;
  };
  const snapshot = () => call<{ usage: DynamoDbUsage; cpuMs: number }>({ kind: 'snapshot' });
  return {
    endpoint,
    snapshot: () => snapshot().usage,
    cpuMs: () => snapshot().cpuMs,
    trace: (on) => call({ kind: 'trace', on }),
    traced: () => call<TracedRequest[]>({ kind: 'traced' }),
    close: async () => {
      const exited = once(worker, 'exit');
      port.postMessage({ kind: 'close' } satisfies CounterCall);
      await exited;
    },
  };
}
