import { randomBytes } from 'node:crypto';
import { RecentMap } from '../recentMap';
import { SfnError } from './sfnErrors';

/** Why a token no longer accepts a callback. AWS answers `TaskTimedOut` for all of them. */
export type ClosedTokenReason = 'succeeded' | 'failed' | 'timedOut' | 'stopped' | 'replaced';

/**
 * What a callback task does when the token it handed out is used. Each call resolves once its effect is
 * durable, so the caller is answered only then; `succeed` and `fail` resolve with the function that lets
 * the execution go on to its next step, to call once the answer is sent.
 */
export interface CallbackTarget {
  succeed(output: unknown): Promise<() => void>;
  fail(error: string, cause: string): Promise<() => void>;
  heartbeat(): Promise<void>;
}

// 48 random bytes: unguessable, and a shape that tells a forged or mangled token from a stale one.
const tokenPattern = /^[A-Za-z0-9_-]{64}$/;

/** A fresh, unguessable task token. */
export function newTaskToken(): string {
  return randomBytes(48).toString('base64url');
}

/** How many closed tokens are remembered, newest first closed; older ones are forgotten. */
export const closedTokensKept = 10_000;

/**
 * Task tokens of callback (`.waitForTaskToken`) tasks across all executions, answering SendTask* the way
 * AWS does: a malformed token is `InvalidToken`, an unknown one `TaskDoesNotExist`, and a token whose task
 * has completed, timed out or been stopped is `TaskTimedOut`. Open tokens are kept as long as they are
 * open; of the closed ones only the latest {@link closedTokensKept}, so memory does not grow with every
 * task ever run: an older spent token is answered `TaskDoesNotExist`, which callers treat as a spent one
 * (the task is over either way).
 */
export class TaskTokens {
  /** Open tokens and what answers them. */
  private readonly openTokens = new Map<string, CallbackTarget>();
  /** The latest closed tokens and why each closed. */
  private readonly closed = new RecentMap<string, ClosedTokenReason>(closedTokensKept);

  /** Accepts callbacks on `token` until it is closed. */
  open(token: string, target: CallbackTarget): void {
    this.closed.delete(token);
    this.openTokens.set(token, target);
  }

  /** Refuses further callbacks on `token` (also used for tokens known from a persisted execution). */
  close(token: string, reason: ClosedTokenReason): void {
    this.openTokens.delete(token);
    this.closed.set(token, reason);
  }

  /** The callback target of an open token, or the AWS error for this token. */
  target(token: string): CallbackTarget {
    if (!tokenPattern.test(token))
      throw new SfnError('InvalidToken', 'Invalid Token: the task token is malformed');
    const target = this.openTokens.get(token);
    if (target) return target;
    const reason = this.closed.get(token);
    if (reason) throw taskTimedOut(reason);
    throw new SfnError('TaskDoesNotExist', 'Task does not exist');
  }
}

/** AWS's answer to a callback on a token whose task is over. */
export function taskTimedOut(reason: ClosedTokenReason): SfnError {
  return new SfnError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore' (${reason})`);
}
