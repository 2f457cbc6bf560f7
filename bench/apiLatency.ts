import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { type Figure, percentile } from './report';

interface LoadResult {
  latencies: number[];
  errors: number;
  elapsedMs: number;
}

/**
 * Latency of one API route at a constant arrival rate. The generator (bench/constantRateWorker.mjs)
 * runs on its own thread and schedules each request at its due time, so bursts and queueing show up
 * in the percentiles instead of being hidden by a closed loop. The stack's event loop is watched
 * meanwhile: its longest stall and garbage-collection pause say whether a slow tail is the process
 * (the handlers, the local Step Functions, GC) or what it waits for (DynamoDB Local).
 */
export async function measureRoute(
  name: string,
  url: string,
  token: string,
  rate: number,
  durationSeconds: number,
  request: { method: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string> } = { method: 'GET' },
): Promise<Figure[]> {
  return atConstantRate(name, rate, durationSeconds, {
    url,
    method: request.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    },
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
  });
}

/**
 * The latency floor of a route: the DynamoDB request it sends, sent to DynamoDB Local alone at the same
 * constant rate by the same generator (DynamoDB's JSON protocol over plain HTTP; DynamoDB Local checks no
 * signature). What the emulator answers at that rate bounds what the route can do here, whatever the
 * code in front of it.
 */
export async function measureEmulatorAtRate(
  name: string,
  dynamoDbEndpoint: string,
  operation: 'Query' | 'GetItem' | 'PutItem' | 'BatchWriteItem',
  input: Record<string, unknown>,
  rate: number,
  durationSeconds: number,
): Promise<Figure[]> {
  const figures = await atConstantRate(`DynamoDB Local alone: ${name}`, rate, durationSeconds, {
    url: dynamoDbEndpoint,
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
  // The event-loop row describes the stack's process, which this measurement does not go through.
  return figures.filter((f) => !f.metric.startsWith('event-loop'));
}

/** One constant-rate run of the generator with `request`, and the stack's event loop watched meanwhile. */
async function atConstantRate(
  name: string,
  rate: number,
  durationSeconds: number,
  request: { url: string; method: string; headers: Record<string, string>; body?: string },
): Promise<Figure[]> {
  // Unmeasured first: half the rate for half the time (at least 2 s), so that the path this request
  // takes is compiled in DynamoDB Local's JVM and in the stack before it is timed. A request type a fresh
  // JVM had not served yet took seconds at first (2,000 PutItems at 200/s: p50 0.8-1.7 s, then 3-4 ms
  // for the same requests). Its own numbers (`{seq}`), so that the measured writes are new ones.
  await runGenerator({
    ...request,
    rate: rate / 2,
    durationSeconds: Math.max(2, durationSeconds / 2),
    firstSeq: 1e9,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let longestGcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longestGcMs = Math.max(longestGcMs, entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  loopDelay.enable();
  const result = await runGenerator({ ...request, rate, durationSeconds });
  loopDelay.disable();
  gc.disconnect();
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const conditions = `${rate} req/s for ${durationSeconds} s`;
  return [
    { benchmark: name, metric: 'p50 latency', value: percentile(sorted, 50), unit: 'ms', conditions },
    { benchmark: name, metric: 'p99 latency', value: percentile(sorted, 99), unit: 'ms', conditions },
    {
      benchmark: name,
      metric: 'throughput',
      value: (sorted.length / result.elapsedMs) * 1000,
      unit: 'req/s',
      conditions,
    },
    {
      benchmark: name,
      metric: 'event-loop delay of the stack, p99 / max',
      value: loopDelay.percentile(99) / 1e6,
      unit: 'ms',
      conditions: `max ${(loopDelay.max / 1e6).toFixed(0)} ms, longest GC pause ${longestGcMs.toFixed(0)} ms`,
    },
    {
      benchmark: name,
      metric: 'errors (non-2xx, timeouts)',
      value: result.errors,
      unit: 'count',
      conditions,
    },
  ];
}

/**
 * Waits until the system under test has worked off the backlog of an overload run (requests the
 * generator gave up on are still being served): a probe must come back within `fastMs` twice running.
 */
export async function settle(url: string, token: string, fastMs = 100, maxSeconds = 60): Promise<void> {
  const deadline = performance.now() + maxSeconds * 1000;
  for (let fast = 0; fast < 2 && performance.now() < deadline; ) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    fast = performance.now() - t0 < fastMs ? fast + 1 : 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One run of the generator (bench/constantRateWorker.mjs) on a thread of its own. */
async function runGenerator(data: Record<string, unknown>): Promise<LoadResult> {
  const worker = new Worker(new URL('./constantRateWorker.mjs', import.meta.url), { workerData: data });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}
