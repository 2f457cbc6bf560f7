/**
 * Named crash points of the local stack, for the fault harness (`npm run chaos`) and the deterministic
 * crash tests. `LOCAL_CRASH_AT=<name>[:<n>]` makes the process kill itself with SIGKILL (no cleanup, no
 * flush: exactly what `kill -9` does) the n-th time (default: the first) it passes that point. Only the
 * embedded stand-ins of AWS services call it; product code under `functions/` never does.
 */
export type CrashPoint =
  /** SMTP: the raw mail is durable and the client got 250, intake has not run. */
  | 'smtp.afterAccept'
  /** API: a POST was answered 2xx and the answer flushed; what it started may not have run. */
  | 'api.afterWriteAnswered'
  /** Step Functions: SendTaskSuccess is durable and answered, the next state has not run. */
  | 'sfn.afterTaskSuccess'
  /** SES: a send request arrived; the mail is not sent and the sender's lease is live. */
  | 'ses.midSend';

const [wanted, nth] = (process.env.LOCAL_CRASH_AT ?? '').split(':');
let remaining = Number(nth ?? 1) || 1;

/** Kills the process with SIGKILL here when `LOCAL_CRASH_AT` names this point (see above). */
export function crashPoint(name: CrashPoint, after?: () => void): void {
  if (wanted !== name) return;
  remaining -= 1;
  if (remaining > 0) return;
  after?.();
  process.kill(process.pid, 'SIGKILL');
}
