import { Worker } from 'node:worker_threads';

export interface DynaliteServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite (on-disk LevelDB under `path`) in a worker thread and resolves once it listens. */
export function startDynalite(options: {
  path: string;
  host: string;
  port: number;
}): Promise<DynaliteServer> {
  const worker = new Worker(new URL('./dynaliteWorker.mjs', import.meta.url), { workerData: options });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', function onMessage(message: { type: string; port?: number; message?: string }) {
      if (message.type === 'error') reject(new Error(`dynalite: ${message.message}`));
      if (message.type !== 'listening') return;
      worker.off('message', onMessage);
      resolve({
        endpoint: `http://${options.host}:${message.port}`,
        close: () =>
          new Promise<void>((done) => {
            worker.on('message', (m: { type: string }) => {
              if (m.type === 'closed') void worker.terminate().then(() => done());
            });
            worker.postMessage('close');
          }),
      });
    });
  });
}
