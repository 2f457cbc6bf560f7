import { randomBytes } from 'node:crypto';
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

type TokenEntry = { status: 'open'; target: CallbackTarget } | { status: ClosedTokenReason };

// 48 random bytes: unguessable, and a shape that tells a forged or mangled token from a stale one.
const tokenPattern = /^[A-Za-z0-9_-]{64}$/;

/** A fresh, unguessable task token. */
export function newTaskToken(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * Task tokens of callback (`.waitForTaskToken`) tasks across all executions, answering SendTask* the way
 * AWS does: a malformed token is `InvalidToken`, an unknown one `TaskDoesNotExist`, and a token whose task
 * has completed, timed out or been stopped is `TaskTimedOut`.
 */
export class TaskTokens {
  private readonly entries = new Map<string, TokenEntry>();

  /** Accepts callbacks on `token` until it is closed. */
  open(token: string, target: CallbackTarget): void {
    this.entries.set(token, { status: 'open', target });
  }

  /** Refuses further callbacks on `token` (also used for tokens known from a persisted execution). */
  close(token: string, reason: ClosedTokenReason): void {
    this.entries.set(token, { status: reason });
  }

  /** The callback target of an open token, or the AWS error for this token. */
  target(token: string): CallbackTarget {
    if (!tokenPattern.test(token))
      throw new SfnError('InvalidToken', 'Invalid Token: the task token is malformed');
    const entry = this.entries.get(token);
    if (!entry) throw new SfnError('TaskDoesNotExist', 'Task does not exist');
    if (entry.status !== 'open') throw taskTimedOut(entry.status);
    return entry.target;
  }
}

/** AWS's answer to a callback on a token whose task is over. */
export function taskTimedOut(reason: ClosedTokenReason): SfnError {
  return new SfnError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore' (${reason})`);
}
