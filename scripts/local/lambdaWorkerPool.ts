import { Worker } from 'node:worker_threads';
import type { Runtime } from '../../functions/composition/lambda';

export interface LambdaWorkerPoolOptions {
  /** The function's entry (`index.mjs` of its folder, chunks beside it): a module exporting `handlerFor(runtime)`. */
  bundleFile: string;
  runtime: Runtime;
  /** Most worker threads (execution environments) the pool starts. */
  size: number;
  /**
   * Headers for every HTTP request an invocation sends, taken in the caller's context when the
   * invocation is sent (the benchmark names the invocation each DynamoDB request comes from).
   */
  requestHeaders?: () => Record<string, string> | undefined;
}

export interface LambdaWorkerPool<E, R> {
  invoke(event: E): Promise<R>;
  /** Ends every worker; invocations still running fail. */
  close(): Promise<void>;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface Environment {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The error a handler threw, rebuilt on this side of the thread boundary. */
function rebuilt(error: { name: string; message: string; stack?: string }): Error {
  const out = new Error(error.message);
  out.name = error.name;
  if (error.stack) out.stack = error.stack;
  return out;
}

/**
 * A Lambda function's concurrent execution environments, as worker threads of the local stack: each
 * imports the same bundle that deploys (lambdaWorker.mjs) and builds its handler for the stack's
 * runtime, so its SDK clients, serialisation and signing run off the thread that serves the local AWS
 * stand-ins. As Lambda scales out, a new environment starts (its cold start: the bundle's import) only
 * when every running one is busy, up to `size`; unlike a Lambda environment, one worker takes several
 * invocations at once (an async handler waits on I/O), each sent to the least busy. A worker that dies
 * fails the invocations it held and is replaced on demand.
 */
export function startLambdaWorkerPool<E, R>(options: LambdaWorkerPoolOptions): LambdaWorkerPool<E, R> {
  const environments: Environment[] = [];
  let nextId = 0;
  let closed = false;

  const start = (): Environment => {
    const worker = new Worker(new URL('./lambdaWorker.mjs', import.meta.url), {
      workerData: { bundleFile: options.bundleFile, runtime: options.runtime },
      // Not the stack's own flags: under tsx those register its TypeScript loader again in every
      // worker, which the plain-JavaScript worker and bundle do not need and which made a worker's
      // cold start 0.5-1 s instead of about 130 ms. V8 flags are the process's and still apply.
      execArgv: [],
    });
    const environment: Environment = { worker, pending: new Map() };
    // The stack's servers keep the process alive while it runs, not an idle worker.
    worker.unref();
    worker.on(
      'message',
      (message: { id: number; result?: unknown; error?: Parameters<typeof rebuilt>[0] }) => {
        const call = environment.pending.get(message.id);
        if (!call) return;
        environment.pending.delete(message.id);
        if (message.error) call.reject(rebuilt(message.error));
        else call.resolve(message.result);
      },
    );
    const fail = (error: Error) => {
      const index = environments.indexOf(environment);
      if (index >= 0) environments.splice(index, 1);
      for (const call of environment.pending.values()) call.reject(error);
      environment.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the worker running ${options.bundleFile} exited (${code})`)));
    environments.push(environment);
    return environment;
  };

  const pick = (): Environment => {
    let least: Environment | undefined;
    for (const environment of environments) {
      if (!least || environment.pending.size < least.pending.size) least = environment;
    }
    if (least && (least.pending.size === 0 || environments.length >= options.size)) return least;
    return start();
  };

  return {
    invoke: (event) => {
      if (closed) return Promise.reject(new Error('the worker pool is closed'));
      const environment = pick();
      const id = nextId++;
      const headers = options.requestHeaders?.();
      return new Promise<R>((resolve, reject) => {
        environment.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
        environment.worker.postMessage({ id, event, headers });
      });
    },
    async close() {
      closed = true;
      await Promise.all(environments.map((environment) => environment.worker.terminate()));
    },
  };
}
