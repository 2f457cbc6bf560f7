import { constants } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryFile, removeDurably, unlessMissing, writeDurably } from '../durableFiles';
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

/** Everything the endpoint knows about one execution; persisted by `ExecutionStore`. */
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

/** The fields of a record that change after its start, besides its history (which only grows). */
const changingFields = [
  'status',
  'output',
  'error',
  'cause',
  'stopDate',
  'resumeFrom',
  'taskTokens',
] as const;

type Changing = Pick<ExecutionRecord, (typeof changingFields)[number]>;

/**
 * One line of an open execution's log: the whole record, or what changed since the line before it (the
 * history events appended since, and the changing fields if any of them changed).
 */
type LogLine = { record: ExecutionRecord } | { events: HistoryEvent[]; changed?: Changing };

/** What this process knows of an open execution's log, for appending the next change to it. */
interface OpenLog {
  /** Opened on the first append after the log's last whole-record write. */
  handle?: FileHandle;
  /** History events in the log. */
  events: number;
  /** The changing fields as the log's last line left them (JSON). */
  changed: string;
  /** The log's size, and the size of its first line (the whole record). */
  bytes: number;
  recordBytes: number;
}

/** The logs of this many executions are kept open (others are reopened by writing the whole record). */
const openLogs = 64;

/** A log is rewritten as one whole-record line once it has grown past this many times that line, plus: */
const compactAfter = { times: 4, plusBytes: 64 * 1024 };

interface WriteQueue {
  /** Settles when the last write started so far has ended. */
  tail: Promise<void>;
  /** A write waiting for the current one; it will write the record as it is when it starts. */
  queued?: Promise<void>;
}

/**
 * Executions on disk. An open (RUNNING) execution is a log, `<dataDir>/<name>.jsonl`, one JSON line per
 * write: its first line the whole record, written durably as a new file (see `writeDurably`); each later
 * write appends what changed (the new history events; the status, resume point and tokens when they
 * changed) and is durable once that line is (`fdatasync`). A transition costs one append and one
 * `fdatasync` of a few KB instead of a whole file of the record's history rewritten and renamed.
 * Reading replays the lines; a crash in an append leaves an incomplete last line (no newline), which
 * is not part of the record: the previous write is what survives, as with a replaced file. After a
 * restart, a log with such a line is rewritten before it is appended to again, and a log that has grown
 * to several times its record is rewritten as one line.
 *
 * A closed execution is one JSON file, `<dataDir>/closed/<name>.json`, so a start reads the open ones
 * only. Closing writes the closed file, then removes the log: after a crash in between, both exist and
 * the closed one wins (`loadOpen` removes the other).
 *
 * Writes of one execution run one after the other, each writing the record as it is when the write
 * starts, so an older snapshot never lands after a newer one.
 */
export class ExecutionStore {
  private readonly queues = new Map<string, WriteQueue>();
  /** The logs appended to lately, least recently used first (at most {@link openLogs}). */
  private readonly logs = new Map<string, OpenLog>();
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
        .filter((name) => name.endsWith('.jsonl') || name.endsWith('.json'))
        .map(async (file) => {
          const path = join(this.dir, file);
          const text = await readFile(path, 'utf8');
          // `.json`: an open execution written whole by an earlier version of this store.
          const { record, torn } = file.endsWith('.jsonl')
            ? replayLog(text, path)
            : { record: JSON.parse(text) as ExecutionRecord, torn: true };
          if (record.status === 'RUNNING' && !(await exists(this.closedPath(record.name)))) {
            // Rewritten before anything is appended after an incomplete line (or to a file of another form).
            if (torn) await this.writeRecord(record);
            if (path !== this.logPath(record.name)) await removeDurably(path);
            return record;
          }
          // Closed, but a crash came before its open file was gone: finish the close.
          if (record.status !== 'RUNNING') await this.save(record);
          await removeDurably(path);
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
    // Open first: a close writes the closed file before it removes the log.
    const path = this.logPath(name);
    const log = await readIfPresent(path);
    if (log !== undefined) return replayLog(log, path).record;
    const closed = await readIfPresent(this.closedPath(name));
    return closed === undefined ? undefined : (JSON.parse(closed) as ExecutionRecord);
  }

  /** Whether an execution of that name has ever been written (open or closed). */
  async has(name: string): Promise<boolean> {
    return (await exists(this.logPath(name))) || (await exists(this.closedPath(name)));
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
      if (record.status === 'RUNNING') return this.append(record);
      await this.forget(key);
      await writeDurably(this.closedPath(key), JSON.stringify(record));
      await removeDurably(this.logPath(key));
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

  /** Flushes, then closes the logs kept open. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.logs.keys()].map((name) => this.forget(name)));
  }

  /** Appends what changed since the log's last line; the whole record if this process has not the log open. */
  private async append(record: ExecutionRecord): Promise<void> {
    const log = this.logs.get(record.name);
    if (!log || log.bytes > compactAfter.times * log.recordBytes + compactAfter.plusBytes) {
      return this.writeRecord(record);
    }
    // Most recently used last.
    this.logs.delete(record.name);
    this.logs.set(record.name, log);
    const changed = JSON.stringify(changingFieldsOf(record));
    // The record changes while the line is written: what the line holds is taken now.
    const written = record.history.length;
    const events = JSON.stringify(record.history.slice(log.events, written));
    const line = `{"events":${events}${changed === log.changed ? '' : `,"changed":${changed}`}}\n`;
    try {
      if (!log.handle) {
        const handle = await openToAppend(this.logPath(record.name));
        // Gone (its folder was removed): written anew.
        if (!handle) return this.writeRecord(record);
        log.handle = handle;
      }
      await log.handle.appendFile(line);
      await log.handle.datasync();
    } catch (error) {
      // The line may be on disk in part: the next write replaces the log with the whole record.
      await this.forget(record.name);
      throw error;
    }
    log.events = written;
    log.changed = changed;
    log.bytes += Buffer.byteLength(line);
  }

  /** Replaces the log with one line, the whole record (durably: a crash leaves the old log or this one). */
  private async writeRecord(record: ExecutionRecord): Promise<void> {
    await this.forget(record.name);
    const line = `${JSON.stringify({ record } satisfies LogLine)}\n`;
    const events = record.history.length;
    const changed = JSON.stringify(changingFieldsOf(record));
    await writeDurably(this.logPath(record.name), line);
    const bytes = Buffer.byteLength(line);
    this.logs.set(record.name, {
      events,
      changed,
      bytes,
      recordBytes: bytes,
    });
    this.closeLeastRecent();
  }

  /** Closes the least recently used logs beyond {@link openLogs} that no write is using. */
  private closeLeastRecent(): void {
    let excess = this.logs.size - openLogs;
    for (const name of this.logs.keys()) {
      if (excess <= 0) return;
      if (this.queues.has(name)) continue;
      excess -= 1;
      this.forget(name).catch(() => undefined);
    }
  }

  /** Closes the execution's log if it is open; its next write writes the whole record. */
  private async forget(name: string): Promise<void> {
    const log = this.logs.get(name);
    this.logs.delete(name);
    await log?.handle?.close();
  }

  private logPath(name: string): string {
    return join(this.dir, `${encodeURIComponent(name)}.jsonl`);
  }

  private closedPath(name: string): string {
    return join(this.closedDir, `${encodeURIComponent(name)}.json`);
  }
}

function changingFieldsOf(record: ExecutionRecord): Changing {
  return Object.fromEntries(changingFields.map((field) => [field, record[field]])) as Changing;
}

/**
 * The record an open execution's log holds, and whether it ends in an incomplete line (an append a crash
 * cut short, never acknowledged: not part of the record). Every complete line ends with a newline, which
 * JSON text never contains otherwise; a complete line that does not parse is damage, not a crash, and
 * throws.
 */
function replayLog(text: string, path: string): { record: ExecutionRecord; torn: boolean } {
  const lines = text.split('\n');
  const torn = lines.pop() !== '';
  let record: ExecutionRecord | undefined;
  for (const [index, text] of lines.entries()) {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      throw new Error(`${path}: line ${index + 1} of the execution log is damaged`);
    }
    if ('record' in line) {
      record = line.record;
      continue;
    }
    if (!record) throw new Error(`${path}: the execution log does not begin with its record`);
    const next = record.history.length;
    // Events carry their number (1, 2, ...): an event already there is not added again.
    for (const event of line.events) if (event.id > next) record.history.push(event);
    if (line.changed) {
      for (const field of changingFields) {
        if (line.changed[field] === undefined) delete record[field];
        else Object.assign(record, { [field]: line.changed[field] });
      }
    }
  }
  if (!record) throw new Error(`${path}: the execution log is empty`);
  return { record, torn };
}

/** The file opened for appending; `undefined` if there is none (it is not created: a log begins with its record). */
function openToAppend(path: string): Promise<FileHandle | undefined> {
  return unlessMissing(open(path, constants.O_WRONLY | constants.O_APPEND), undefined);
}

function namesIn(dir: string): Promise<string[]> {
  return unlessMissing(readdir(dir), []);
}

function exists(path: string): Promise<boolean> {
  return unlessMissing(
    stat(path).then(() => true),
    false,
  );
}

function readIfPresent(path: string): Promise<string | undefined> {
  return unlessMissing(readFile(path, 'utf8'), undefined);
}
