// One execution environment of a Lambda function on a thread of the local stack (lambdaWorkerPool.ts):
// it imports the function's bundle, builds the handler for the stack's runtime, and runs the
// invocations the pool sends it. Plain JavaScript: a worker thread loads it without a TS loader.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { bundleFile, runtime } = workerData;

// Headers the pool passes with an invocation go on every HTTP request the invocation sends (the request
// is created in the handler's async context, before its headers are sent).
const invocationHeaders = new AsyncLocalStorage();
subscribe('http.client.request.created', ({ request }) => {
  const headers = invocationHeaders.getStore();
  if (headers) for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
});

// A failed import ends this worker with the error; the pool fails what was sent to it and starts
// another for the next invocation.
const handler = (await import(pathToFileURL(bundleFile).href)).handlerFor(runtime);

parentPort.on('message', async ({ id, event, headers }) => {
  try {
    const result = await invocationHeaders.run(headers, () => handler(event));
    parentPort.postMessage({ id, result });
  } catch (error) {
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ id, error: { name, message, stack } });
  }
});
