// Open-model load generator: one request every 1000/rate ms regardless of how long earlier ones take,
// so latency includes any queueing (no coordinated omission). Runs in a worker thread so it does not
// share an event loop with the system under test. Plain JavaScript: loadable without a TS loader.
import { parentPort, workerData } from 'node:worker_threads';

const { url, headers, rate, durationSeconds, method = 'GET', body, firstSeq = 0 } = workerData;
// A body holding `{seq}` numbers each request (distinct writes instead of one write retried).
const bodyOf = (i) => (body === undefined ? undefined : body.replaceAll('{seq}', String(firstSeq + i)));
const latencies = [];
let errors = 0;
const total = Math.round(rate * durationSeconds);
const interval = 1000 / rate;
const started = performance.now();
const inflight = [];
for (let i = 0; i < total; i++) {
  const due = started + i * interval;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  inflight.push(
    (async () => {
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          method,
          headers,
          body: bodyOf(i),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status >= 400) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    })(),
  );
}
await Promise.all(inflight);
parentPort.postMessage({ latencies, errors, elapsedMs: performance.now() - started });
