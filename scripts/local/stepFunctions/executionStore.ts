import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent } from './executionHistory';
import type { ClosedTokenReason } from './taskTokens';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

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
  /** The last top-level state entered and its input: where a RUNNING execution resumes after a restart. */
  resumeFrom?: { stateName: string; input: unknown };
  /** Tokens handed to callback tasks, and whether each may still be answered. */
  taskTokens: Record<string, 'open' | ClosedTokenReason>;
}

/**
 * Executions on disk, one JSON file each, written atomically (temporary file, then rename) so a crash
 * leaves the previous version. Saves of one execution are coalesced and never run concurrently.
 */
export class ExecutionStore {
  private readonly writes = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private sequence = 0;

  constructor(
    private readonly dir: string,
    private readonly onError: (error: unknown, record: ExecutionRecord) => void,
  ) {}

  async loadAll(): Promise<ExecutionRecord[]> {
    await mkdir(this.dir, { recursive: true });
    const files = (await readdir(this.dir)).filter((file) => file.endsWith('.json'));
    return Promise.all(
      files.map(async (file) => JSON.parse(await readFile(join(this.dir, file), 'utf8')) as ExecutionRecord),
    );
  }

  /** Schedules a write of `record`'s current state. */
  save(record: ExecutionRecord): void {
    const key = record.name;
    if (this.writes.has(key)) {
      this.dirty.add(key);
      return;
    }
    const write = this.write(record)
      .catch((error: unknown) => this.onError(error, record))
      .finally(() => {
        this.writes.delete(key);
        if (this.dirty.delete(key)) this.save(record);
      });
    this.writes.set(key, write);
  }

  /** Resolves when every scheduled write is on disk. */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
  }

  private async write(record: ExecutionRecord): Promise<void> {
    const file = join(this.dir, `${encodeURIComponent(record.name)}.json`);
    const temporary = `${file}.${process.pid}.${++this.sequence}.tmp`;
    await writeFile(temporary, JSON.stringify(record));
    await rename(temporary, file);
  }
}
