import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableIndexes } from '../functions/adapters/tableSchema';
import type { Complaint } from '../functions/core/complaint';
import { withoutCommandLog } from '../scripts/local/localAws';

type Seen = Pick<
  Complaint,
  'id' | 'status' | 'waitingFor' | 'taskToken' | 'version' | 'tier' | 'customerEmail'
>;

interface Pending {
  /** For a complaint awaited by its customer's address (`queued`). */
  customerEmail?: string;
  matches: (c: Seen) => boolean;
  resolve: (c: Seen) => void;
  reject: (e: Error) => void;
  deadline: number;
  what: string;
}

/**
 * The benchmark driver's view of the complaints it drives, read from DynamoDB Local directly (past the
 * request counter) by one poller for all of them: each tick queries the tier queues (which hold every
 * complaint waiting on an agent or a follow-up call: there the driver finds a new complaint by its
 * customer) and batch-reads the complaints awaited (the queue index projects only the list attributes,
 * not the task token that says a wait is live).
 * A few requests a tick whatever the concurrency, where a poll per complaint would load the emulator
 * the benchmark measures.
 */
export class ComplaintWatcher {
  private readonly db: DynamoDBDocumentClient;
  private readonly pending = new Set<Pending & { id?: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    endpoint: string,
    private readonly tableName = 'Complaints',
    private readonly intervalMs = 100,
  ) {
    // Without the SDK's command log, which copied every complaint read for a logger that discards it.
    this.db = DynamoDBDocumentClient.from(
      withoutCommandLog(
        new DynamoDBClient({
          endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      ),
    );
  }

  /** The first complaint of `customerEmail` in a tier queue that satisfies `matches`. */
  queued(customerEmail: string, matches: (c: Seen) => boolean, timeoutMs = 120_000): Promise<Seen> {
    return this.await(
      { customerEmail },
      (c) => c.customerEmail === customerEmail && matches(c),
      customerEmail,
      timeoutMs,
    );
  }

  /** Complaint `id` once it satisfies `matches`. */
  complaint(id: string, matches: (c: Seen) => boolean, timeoutMs = 120_000): Promise<Seen> {
    return this.await({ id }, (c) => c.id === id && matches(c), id, timeoutMs);
  }

  close() {
    clearTimeout(this.timer);
    this.db.destroy();
  }

  private await(
    key: { id?: string; customerEmail?: string },
    matches: (c: Seen) => boolean,
    what: string,
    timeoutMs: number,
  ) {
    return new Promise<Seen>((resolve, reject) => {
      this.pending.add({ ...key, matches, resolve, reject, what, deadline: performance.now() + timeoutMs });
      this.timer ??= setTimeout(() => void this.tick(), this.intervalMs);
    });
  }

  private async tick(): Promise<void> {
    try {
      const queued: Seen[] = [];
      for (const tier of ['tier1', 'tier2', 'tier3']) {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: tableIndexes.queue.name,
            KeyConditionExpression: 'GSI2PK = :q',
            ExpressionAttributeValues: { ':q': `QUEUE#${tier}` },
            Limit: 1000,
          }),
        );
        queued.push(...((out.Items ?? []) as Seen[]));
      }
      const ids = new Set<string>();
      for (const p of this.pending) {
        if (p.id) ids.add(p.id);
        for (const c of queued) if (p.customerEmail && c.customerEmail === p.customerEmail) ids.add(c.id);
      }
      const wanted = [...ids];
      const seen: Seen[] = [];
      for (let i = 0; i < wanted.length; i += 100) {
        const keys = wanted.slice(i, i + 100).map((id) => ({ PK: `COMPLAINT#${id}`, SK: 'META' }));
        const out = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        seen.push(...((out.Responses?.[this.tableName] ?? []) as Seen[]));
      }
      for (const p of this.pending) {
        const match = seen.find(p.matches);
        if (match) {
          this.pending.delete(p);
          p.resolve(match);
        } else if (performance.now() > p.deadline) {
          this.pending.delete(p);
          p.reject(new Error(`Timed out waiting for ${p.what}`));
        }
      }
    } catch (e) {
      for (const p of this.pending) p.reject(e as Error);
      this.pending.clear();
    }
    this.timer = this.pending.size > 0 ? setTimeout(() => void this.tick(), this.intervalMs) : undefined;
  }
}
