import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Settings } from '../application/settings';
import type { ServiceAdapters } from './buildDeps';
import type { Runtime } from './lambda';

/**
 * What an adapter is built from: the validated settings, the runtime (endpoints, folders, keys) and the
 * table's client (for the table's repositories).
 */
export interface AdapterContext {
  settings: Settings;
  runtime: Runtime;
  dynamodb: DynamoDBClient;
}

/**
 * How a function builds each adapter it uses besides its table: one factory per adapter, each in a module
 * of its own under `factories/`. A handler module names the factories it uses, so that its bundle holds
 * only their SDK clients. Each factory imports its adapter module and SDK client with `import()` on the
 * adapter's first call ({@link onFirstCall}): the bundler puts them in chunks outside what the function's
 * cold start loads, since many invocations never call them (most API routes, a step that alerts a team
 * only on some paths). One module per factory, because the bundler makes a chunk of every `import()` it
 * finds in the modules a function imports, used or not. The table's repositories are the other way
 * round: `buildDeps` builds each on its first call, and their factories (`complaintStore`,
 * `mailLedger`, `reportStore`) put one in the cold start of a function that uses it on every invocation.
 */
export type AdapterFactories = {
  [K in keyof ServiceAdapters]-?: (context: AdapterContext) => NonNullable<ServiceAdapters[K]>;
};

/**
 * An adapter that `build` makes on its first call, which imports the adapter's module and SDK client
 * then: the first invocation that needs it pays that import once. A failed import or build is tried
 * again on the next call. Every method of an adapter returns a promise, so the wait is invisible to
 * the caller.
 */
export function onFirstCall<T extends object>(build: () => Promise<T>): T {
  let built: Promise<T> | undefined;
  const adapter = () => {
    built ??= build().catch((e: unknown) => {
      built = undefined;
      throw e;
    });
    return built;
  };
  return new Proxy({} as T, {
    // `then` undefined: awaiting the adapter itself is no call.
    get: (_target, method) =>
      method === 'then'
        ? undefined
        : async (...args: unknown[]) => {
            const target = (await adapter()) as Record<PropertyKey, (...args: unknown[]) => unknown>;
            return (target[method] as (...args: unknown[]) => unknown).call(target, ...args);
          },
  });
}
