// Node stores timer delays as a signed 32-bit number: above 2^31-1 ms (~24.8 days) it warns and fires
// after 1 ms. Step Functions allows waits and task timeouts up to a year, and aws-local-stepfunctions
// passes them straight to the global `setTimeout`, so a long wait would end at once. The library reads the
// global at call time, hence the wrapper is installed on `globalThis`; shorter delays go to Node unchanged.
import { promisify } from 'node:util';

const maxDelayMs = 2 ** 31 - 1;
const installedMarker = Symbol.for('localStepFunctions.longTimers');

type SetTimeout = (
  callback: (...args: unknown[]) => void,
  delay?: number,
  ...args: unknown[]
) => NodeJS.Timeout;
type ClearTimeout = (handle: NodeJS.Timeout | string | number | undefined) => void;

/**
 * Makes `setTimeout` honour delays above 2^31-1 ms by chaining shorter timers, with `clearTimeout` still
 * cancelling the whole chain, and run a negative delay at once without Node's warning. Idempotent:
 * installs once per process.
 */
export function installLongTimers(): void {
  const global = globalThis as unknown as Record<symbol, boolean> & {
    setTimeout: SetTimeout;
    clearTimeout: ClearTimeout;
  };
  if (global[installedMarker]) return;
  global[installedMarker] = true;
  const nodeSetTimeout = global.setTimeout;
  const nodeClearTimeout = global.clearTimeout;
  // The handle returned to the caller is the first link; later links are found through it.
  const currentLink = new WeakMap<NodeJS.Timeout, NodeJS.Timeout>();

  const longSetTimeout: SetTimeout = (callback, delay, ...args) => {
    // A Wait state whose timestamp has passed (a follow-up due before its wait began) asks for a delay
    // below zero: Node runs it at once as asked, but warns each time (TimeoutNegativeWarning).
    if (typeof delay === 'number' && delay < 0) return nodeSetTimeout(callback, 0, ...args);
    if (!(typeof delay === 'number' && delay > maxDelayMs)) return nodeSetTimeout(callback, delay, ...args);
    const deadline = Date.now() + delay;
    const next = () => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        currentLink.delete(first);
        callback(...args);
        return;
      }
      const link = nodeSetTimeout(next, Math.min(remaining, maxDelayMs));
      if (!first.hasRef()) link.unref();
      currentLink.set(first, link);
    };
    const first = nodeSetTimeout(next, maxDelayMs);
    return first;
  };
  // `util.promisify(setTimeout)` looks for Node's own promise form; keep offering it.
  Object.assign(longSetTimeout, {
    [promisify.custom]: (nodeSetTimeout as unknown as Record<symbol, unknown>)[promisify.custom],
  });
  global.setTimeout = longSetTimeout;
  global.clearTimeout = (handle) => {
    if (handle && typeof handle === 'object') {
      const link = currentLink.get(handle);
      if (link) nodeClearTimeout(link);
      currentLink.delete(handle);
    }
    nodeClearTimeout(handle);
  };
}
