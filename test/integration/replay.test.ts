/**
 * Replay safety over every path of the lifecycle: the lifecycle paths again, with every workflow step
 * invocation run twice and the complaint's previous step run once more after the newer one (see
 * replayHarness.ts). Step Functions and Lambda deliver at least once; each step must be idempotent per
 * complaint and step, and a stale step must change nothing.
 */
process.env.LIFECYCLE_REPLAY = '1';
await import('./lifecycle.test');

export {};
