// dynalite in a worker thread: the embedded DynamoDB gets its own core instead of sharing the event
// loop with the handlers and the SDK clients that call it. Plain JavaScript so that any runner
// (tsx, vitest) can start it without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const { path, port, host } = workerData;
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (error) => parentPort.postMessage({ type: 'error', message: String(error) }));
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.postMessage({ type: 'closed' }));
});
