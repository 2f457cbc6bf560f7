import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { type CounterUpdate, sumCounterUpdate } from '../core/reports/projection';
import { writeUnlessFirstConditionFails } from './complaintStore';
import { TableRepository } from './dynamoDocuments';
import type { CounterItem, ReportStore } from './ports';
import { ttlAttribute } from './tableSchema';

/** Attempts of one event's transaction while other projections write the same counters. */
const maxAttempts = 4;

/** How long an applied event's marker is kept: longer than the archive replays (365 days). */
const markerDays = 400;

/** Sums the updates of the same counter item (a transaction may touch an item only once). */
function merged(updates: CounterUpdate[]): CounterUpdate[] {
  const byKey = new Map<string, CounterUpdate>();
  for (const u of updates) sumCounterUpdate(byKey, u);
  return [...byKey.values()];
}

/**
 * The report counters (items `REPORT#<report>...`): an event's updates commit together with a marker
 * item named after the event id, conditional on the marker not existing, so an event delivered again
 * (EventBridge and the local bus deliver at least once; an archive replay) adds nothing.
 */
export class DynamoReportStore extends TableRepository implements ReportStore {
  async apply(eventId: string, updates: CounterUpdate[], now: Date): Promise<boolean> {
    const expiresAt = Math.floor(now.getTime() / 1000) + markerDays * 86_400;
    const items = merged(updates).map((u) => {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const parts: string[] = [];
      Object.entries(u.add ?? {}).forEach(([name, n], i) => {
        names[`#n${i}`] = name;
        values[`:n${i}`] = n;
        parts.push(`#n${i} :n${i}`);
      });
      Object.entries(u.addToSets ?? {}).forEach(([name, set], i) => {
        names[`#s${i}`] = name;
        values[`:s${i}`] = new Set(set);
        parts.push(`#s${i} :s${i}`);
      });
      return {
        Update: {
          TableName: this.tableName,
          Key: { PK: `REPORT#${u.partition}`, SK: u.sort },
          UpdateExpression: `ADD ${parts.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      };
    });
    const input = {
      TransactItems: [
        {
          Put: {
            TableName: this.tableName,
            Item: {
              PK: `REPORT#EVENT#${eventId}`,
              SK: 'EVENT',
              at: now.toISOString(),
              [ttlAttribute]: expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        ...items,
      ],
    };
    // The marker exists: this event was counted before (false). Another projection writing the same
    // counter (a day's, a tier's: every event of a kind adds to a few shared items) is waited out a
    // few times; past those the event's delivery retries it.
    return writeUnlessFirstConditionFails(this.db, input, maxAttempts);
  }

  async counters(report: string, from?: string, to?: string): Promise<CounterItem[]> {
    const range = from !== undefined && to !== undefined;
    const out: CounterItem[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: range ? 'PK = :pk AND SK BETWEEN :from AND :to' : 'PK = :pk',
        ExpressionAttributeValues: {
          ':pk': `REPORT#${report}`,
          ...(range ? { ':from': from, ':to': to } : {}),
        },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { PK: _pk, SK, ...figures } = item;
        out.push({ key: String(SK), figures });
      }
    }
    return out;
  }
}
