import { setTimeout as sleep } from 'node:timers/promises';
import { install } from '@sinonjs/fake-timers';

/**
 * A virtual clock for tests that run the local stack in their own process, so that a test about time
 * runs the production policy (SLA targets in business hours, follow-ups days later) and skips to each
 * deadline instead of shrinking the policy to seconds.
 *
 * `Date`, `setTimeout` and `clearTimeout` become @sinonjs/fake-timers' fakes (the library behind
 * vitest's own fake timers), which run at the wall clock's pace until the test skips: requests,
 * retries and pollers behave as they do on real time. Everything in the stack that keeps time reads
 * these globals: the handlers' clocks (deadlines, SLA clocks, leases, link lifetimes, tokens), the local
 * Step Functions endpoint (Wait states, task timeouts and heartbeats) and the local gateway's token
 * checks. DynamoDB Local (a JVM) keeps no time of ours: items carry the instants the handlers wrote.
 * `setInterval` and `node:timers/promises` stay real: nothing in the workflow's timing uses them.
 *
 * Install it before the stack starts, so that every timer the stack sets is virtual.
 */
export interface VirtualClock {
  /**
   * Moves the clock to just after `instant` (an ISO string or a Date; nothing if it has passed): every
   * timer due in between fires once, at the new time, the way a laptop that slept runs its overdue
   * timers when it wakes. Skip only while the stack rests (every execution waiting), or a lease held by
   * a running step could look expired.
   */
  skipPast(instant: string | Date, marginMs?: number): void;
  /** Puts the real globals back. */
  uninstall(): void;
}

export function installVirtualClock(): VirtualClock {
  const clock = install({
    now: Date.now(),
    toFake: ['Date', 'setTimeout', 'clearTimeout'],
    shouldAdvanceTime: true,
    advanceTimeDelta: 5,
    // A timer set before the install (a module's, at import) is still cleared properly.
    shouldClearNativeTimers: true,
  });
  return {
    skipPast: (instant, marginMs = 1_000) => {
      const ms = new Date(instant).getTime() + marginMs - Date.now();
      if (ms > 0) clock.jump(ms);
    },
    uninstall: () => clock.uninstall(),
  };
}

/** What `skipWait` needs of the local stack (scripts/local/localStack.ts). */
export interface RestingStack {
  resting(timeoutMs?: number): Promise<void>;
  pendingWait(executionName: string): { stateName: string; until?: number } | undefined;
}

/**
 * Waits until the stack rests with the execution (a complaint's id) waiting in `stateName` on a
 * deadline still ahead, then skips the clock just past that deadline: the wait times out (or its Wait
 * state ends) as it would at that hour, and everything else due by then fires too.
 */
export async function skipWait(
  clock: VirtualClock,
  stack: RestingStack,
  executionName: string,
  stateName: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await stack.resting(Math.max(1, deadline - performance.now()));
    const wait = stack.pendingWait(executionName);
    // A deadline behind the clock is the wait just skipped, not yet seen to end.
    if (wait?.stateName === stateName && wait.until !== undefined && wait.until > Date.now()) {
      clock.skipPast(new Date(wait.until));
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(`${executionName} did not come to wait in ${stateName}: ${JSON.stringify(wait)}`);
    }
    await sleep(50);
  }
}
