import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryFile, removeDurably, writeDurably } from '../durableFiles';
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

/** Everything the endpoint knows about one execution; persisted as one JSON file (see `ExecutionStore`). */
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
 * previous version or the new one. An open (RUNNING) execution's file is `<dataDir>/<name>.json`; a
 * closed one's is `<dataDir>/closed/<name>.json`, so a start reads the open ones only. Closing writes
 * the closed file, then removes the open one: after a crash in between, both exist and the closed one
 * wins (`loadOpen` removes the other).
 *
 * Writes of one execution run one after the other, each writing the record as it is when the write
 * starts, so an older snapshot never lands after a newer one.
 */
export class ExecutionStore {
  private readonly queues = new Map<string, WriteQueue>();
  private readonly closedDir: string;

  constructor(
    private readonly dir: string,
    private readonly onError: (error: unknown, record: ExecutionRecord) => void,
  ) {
    this.closedDir = join(dir, 'closed');
  }

  /** The open (RUNNING) executions; leftovers of interrupted writes and closes are cleared first. */
  async loadOpen(): Promise<ExecutionRecord[]> {
    await Promise.all(
      (await namesIn(this.closedDir))
        .filter(isTemporaryFile)
        .map((name) => rm(join(this.closedDir, name), { force: true })),
    );
    const names = await namesIn(this.dir);
    await Promise.all(names.filter(isTemporaryFile).map((name) => rm(join(this.dir, name), { force: true })));
    const records = await Promise.all(
      names
        .filter((name) => name.endsWith('.json'))
        .map(async (file) => {
          const record = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as ExecutionRecord;
          if (record.status === 'RUNNING' && !(await exists(this.closedPath(record.name)))) return record;
          // Closed, but a crash came before its open file was gone: finish the close.
          if (record.status !== 'RUNNING') await this.save(record);
          else await removeDurably(this.openPath(record.name));
          return undefined;
        }),
    );
    return records.filter((record) => record !== undefined);
  }

  /** Summaries of the closed executions, read from their files (one read per closed execution). */
  async loadClosed(): Promise<ExecutionRecord[]> {
    const names = (await namesIn(this.closedDir)).filter(
      (name) => name.endsWith('.json') && !isTemporaryFile(name),
    );
    const records = await Promise.all(
      names.map((file) =>
        readFile(join(this.closedDir, file), 'utf8').then(
          (text) => JSON.parse(text) as ExecutionRecord,
          // Gone since the listing: not an execution any more (cannot happen today, closed files stay).
          () => undefined,
        ),
      ),
    );
    return records.filter((record) => record !== undefined);
  }

  /** One execution's record as last written; `undefined` if there is none of that name. */
  async load(name: string): Promise<ExecutionRecord | undefined> {
    // Written after the record's last durable write began: wait for it, or the file may be older.
    await this.queues.get(name)?.tail;
    // Open first: a close writes the closed file before it removes the open one.
    const text = (await readIfPresent(this.openPath(name))) ?? (await readIfPresent(this.closedPath(name)));
    return text === undefined ? undefined : (JSON.parse(text) as ExecutionRecord);
  }

  /** Whether an execution of that name has ever been written (open or closed). */
  async has(name: string): Promise<boolean> {
    return (await exists(this.openPath(name))) || (await exists(this.closedPath(name)));
  }

  /** Whether a write of this execution is under way or waiting. */
  writing(name: string): boolean {
    return this.queues.has(name);
  }

  /**
   * Writes `record`'s current state; resolves once it is durable. Calls made while a write waits share
   * that write (it has not read the record yet, so it includes their changes).
   */
  save(record: ExecutionRecord): Promise<void> {
    const key = record.name;
    const queue = this.queues.get(key) ?? { tail: Promise.resolve() };
    if (queue.queued) return queue.queued;
    const write = queue.tail.then(async () => {
      queue.queued = undefined;
      const json = JSON.stringify(record);
      if (record.status === 'RUNNING') return writeDurably(this.openPath(key), json);
      await writeDurably(this.closedPath(key), json);
      await removeDurably(this.openPath(key));
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

  private openPath(name: string): string {
    return join(this.dir, `${encodeURIComponent(name)}.json`);
  }

  private closedPath(name: string): string {
    return join(this.closedDir, `${encodeURIComponent(name)}.json`);
  }
}

async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}
