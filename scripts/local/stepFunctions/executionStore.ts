import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryFile, writeDurably } from '../durableFiles';
import type { HistoryEvent } from './executionHistory';
import type { TaskOutcome } from './taskInvocation';
import type { ClosedTokenReason } from './taskTokens';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One attempt of the top-level Task state an execution is in, as far as a restart needs it. */
export interface TaskAttempt {
  /** The callback task's token, which stays valid across a restart. */
  token?: string;
  /** What the function was invoked with (for a callback task: the payload carrying `token`). */
  parameters: unknown;
  /** The callback task's function returned: the token reached it, a restart does not invoke it again. */
  invoked?: boolean;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Epoch ms deadlines of the timeout and heartbeat clocks; a restart keeps them. */
  timeoutAt?: number;
  heartbeatAt?: number;
  /** How the attempt ended; a restart hands it to the state again instead of running the attempt. */
  outcome?: TaskOutcome;
}

/** Where a RUNNING execution resumes after a restart: the last top-level state entered and its progress. */
export interface ResumePoint {
  stateName: string;
  input: unknown;
  /** The state exited already (its StateExited event is in the history). */
  exited?: boolean;
  /** A Wait state's end, epoch ms. */
  waitUntil?: number;
  /** Retries made so far per retrier of the state's `Retry` (the library's attempt counts). */
  retries?: number[];
  /** The Task state's current attempt. */
  attempt?: TaskAttempt;
}

/** Everything the endpoint knows about one execution; persisted as one JSON file. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  /** Execution input and output as the JSON text the API exchanges. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  history: HistoryEvent[];
  resumeFrom?: ResumePoint;
  /** Tokens handed to callback tasks, and whether each may still be answered. */
  taskTokens: Record<string, 'open' | ClosedTokenReason>;
}

interface WriteQueue {
  /** Settles when the last write started so far has ended. */
  tail: Promise<void>;
  /** A write waiting for the current one; it will write the record as it is when it starts. */
  queued?: Promise<void>;
}

/**
 * Executions on disk, one JSON file each, replaced durably (see `writeDurably`): a crash leaves the
 * previous version or the new one. Writes of one execution run one after the other, each writing the
 * record as it is when the write starts, so an older snapshot never lands after a newer one.
 */
export class ExecutionStore {
  private readonly queues = new Map<string, WriteQueue>();

  constructor(
    private readonly dir: string,
    private readonly onError: (error: unknown, record: ExecutionRecord) => void,
  ) {}

  async loadAll(): Promise<ExecutionRecord[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    await Promise.all(names.filter(isTemporaryFile).map((name) => rm(join(this.dir, name), { force: true })));
    return Promise.all(
      names
        .filter((name) => name.endsWith('.json'))
        .map(async (name) => JSON.parse(await readFile(join(this.dir, name), 'utf8')) as ExecutionRecord),
    );
  }

  /** One execution's record as last written. */
  async load(name: string): Promise<ExecutionRecord> {
    // Written after the record's last durable write began: wait for it, or the file may be older.
    await this.queues.get(name)?.tail;
    return JSON.parse(
      await readFile(join(this.dir, `${encodeURIComponent(name)}.json`), 'utf8'),
    ) as ExecutionRecord;
  }

  /**
   * Writes `record`'s current state; resolves once it is durable. Calls made while a write waits share
   * that write (it has not read the record yet, so it includes their changes).
   */
  save(record: ExecutionRecord): Promise<void> {
    const key = record.name;
    const queue = this.queues.get(key) ?? { tail: Promise.resolve() };
    if (queue.queued) return queue.queued;
    const write = queue.tail.then(() => {
      queue.queued = undefined;
      return writeDurably(join(this.dir, `${encodeURIComponent(key)}.json`), JSON.stringify(record));
    });
    write.catch((error: unknown) => this.onError(error, record));
    queue.queued = write;
    const tail = write.catch(() => undefined);
    queue.tail = tail;
    this.queues.set(key, queue);
    tail.then(() => {
      if (queue.tail === tail) this.queues.delete(key);
    });
    return write;
  }

  /** Resolves when every write started so far is on disk (or failed). */
  async flush(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((queue) => queue.tail));
  }
}
