import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { localAwsConfig } from '../scripts/local/localAws';
import type { LocalStack } from '../scripts/local/localStack';
import { api, sendMail, waitFor } from '../scripts/local/localStackClient';
import { measureRoute } from './apiLatency';
import type { Figure } from './report';

type Item = Record<string, unknown>;

/**
 * Stores complaints for the API benchmarks. The API is what is measured, not intake: one complaint goes
 * through intake and the workflow, and its stored item is cloned (new id, customer, due time and index
 * keys, all in the tier-1 queue) with BatchWrite, 25 items a request, a few requests in flight.
 */
export class ComplaintSeeder {
  private readonly db: DynamoDBDocumentClient;
  private template: Item | undefined;
  stored = 0;
  /** The template complaint's version (the If-Match of writes on it). */
  templateVersion = 0;

  constructor(private readonly stack: LocalStack) {
    this.db = DynamoDBDocumentClient.from(
      new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
    );
  }

  /** A real complaint waiting for a tier-1 agent, whose item the clones copy. */
  async start(): Promise<string> {
    const customer = `bench.template.${Date.now()}@example.org`;
    await sendMail(this.stack.endpoints, {
      from: customer,
      subject: 'Late order',
      text: 'My order is late.',
    });
    const id = await waitFor(async () => {
      const page = await api<{ items: { id: string; customerEmail: string }[] }>(
        this.stack.endpoints,
        'GET',
        '/complaints?queue=tier1&limit=100',
        { token: this.stack.endpoints.tokens.tier1 },
      );
      return page.body.items.find((c) => c.customerEmail === customer)?.id;
    }, 'the template complaint in the tier-1 queue');
    const out = await this.db.send(
      new GetCommand({ TableName: 'Complaints', Key: { PK: `COMPLAINT#${id}`, SK: 'META' } }),
    );
    this.template = out.Item as Item;
    this.templateVersion = this.template.version as number;
    this.stored = 1;
    return id;
  }

  private clone(n: number): Item {
    const id = randomBytes(13).toString('hex');
    const customerEmail = `bench.${n}@example.org`;
    // Spread over a day of due times, so the queue index orders many distinct keys.
    const due = new Date(Date.now() + 3_600_000 + (n % 86_400) * 1000).toISOString();
    const createdAt = new Date().toISOString();
    return {
      ...this.template,
      PK: `COMPLAINT#${id}`,
      id,
      customerEmail,
      createdAt,
      slaDueAt: due,
      GSI1PK: `CUSTOMER#${customerEmail}`,
      GSI1SK: `${createdAt}#${id}`,
      GSI2PK: 'QUEUE#tier1',
      GSI2SK: `${due}#${id}`,
    };
  }

  /**
   * One more clone, stored on its own, for a write route to act on (at the template's version): its
   * timeline grows with the writes while the template's, which the detail route reads, stays as it is.
   */
  async spare(): Promise<string> {
    if (!this.template) throw new Error('start() first');
    const item = this.clone(this.stored);
    await this.db.send(new PutCommand({ TableName: 'Complaints', Item: item }));
    this.stored += 1;
    return item.id as string;
  }

  /** Stores clones until `total` complaints are stored; progress on stderr. */
  async fillTo(total: number, inFlight = 4): Promise<void> {
    if (!this.template) throw new Error('start() first');
    const started = Date.now();
    const initial = this.stored;
    const writeBatch = async (items: Item[]) => {
      let requests: Record<string, Item[]> = {
        Complaints: items.map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; Object.keys(requests).length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = (out.UnprocessedItems ?? {}) as Record<string, Item[]>;
      }
    };
    const worker = async () => {
      while (this.stored < total) {
        const count = Math.min(25, total - this.stored);
        const first = this.stored;
        this.stored += count;
        await writeBatch(Array.from({ length: count }, (_, i) => this.clone(first + i)));
        if (Math.floor(this.stored / 5000) > Math.floor((this.stored - count) / 5000)) {
          const rate = Math.round((this.stored - initial) / ((Date.now() - started) / 1000));
          process.stderr.write(`  seeded ${this.stored}/${total} complaints (${rate} items/s)\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  }
}

/** p50/p99/errors of the tier-1 queue query with `stored` complaints in the table. */
export async function measureQueue(
  stack: LocalStack,
  stored: number,
  rate: number,
  seconds: number,
): Promise<Figure[]> {
  const figures = await measureRoute(
    'GET /complaints?queue=tier1',
    `${stack.endpoints.api.url}/complaints?queue=tier1`,
    stack.endpoints.tokens.tier1,
    rate,
    seconds,
  );
  return figures.map((f) => ({ ...f, conditions: `${f.conditions}, ${stored} complaints stored` }));
}
