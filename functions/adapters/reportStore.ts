import { paginateQuery, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type CounterUpdate, sumCounterUpdate } from '../core/reports/projection';
import {
  cancellationCodes,
  decodeCursor,
  encodeCursor,
  TableRepository,
  writeUnlessFirstConditionFails,
} from './dynamoDocuments';
import type { ApplyOutcome, CounterItem, EventUpdates, ReportStore } from './ports';
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

/** The partition key prefix of the item that says an event was counted (`<prefix><event id>`). */
export const reportMarkerPrefix = 'REPORT#EVENT#';

/** DynamoDB's limit of actions in one transaction. */
const maxTransactionItems = 100;

const counterKey = (u: CounterUpdate) => `${u.partition}\n${u.sort}`;

/**
 * Events split into transactions of at most {@link maxTransactionItems} actions (a marker per event,
 * one update per counter item they add to). A listed set's condition holds for one more member, so two
 * events adding to the same listed set never share a transaction.
 */
export function transactionGroups(events: EventUpdates[]): EventUpdates[][] {
  const groups: EventUpdates[][] = [];
  let group: EventUpdates[] = [];
  let counters = new Set<string>();
  let listed = new Set<string>();
  for (const e of events) {
    const keys = e.updates.map(counterKey);
    const listedKeys = e.updates.filter((u) => u.listedUpTo).map(counterKey);
    const added = new Set(keys.filter((k) => !counters.has(k))).size;
    const full = group.length + 1 + counters.size + added > maxTransactionItems;
    if (group.length > 0 && (full || listedKeys.some((k) => listed.has(k)))) {
      groups.push(group);
      group = [];
      counters = new Set();
      listed = new Set();
    }
    group.push(e);
    for (const k of keys) counters.add(k);
    for (const k of listedKeys) listed.add(k);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A counter item as stored: its sort key, and its figures (every attribute but the key). */
const counterItem = ({ PK: _pk, SK, ...figures }: Record<string, unknown>): CounterItem => ({
  key: String(SK),
  figures,
});

/** The update of a counter item whose listed sets are full: the event counted beyond them instead. */
function beyondListed(u: CounterUpdate): CounterUpdate {
  const { listedUpTo, addToSets, add, ...rest } = u;
  const unlisted = Object.entries(listedUpTo ?? {});
  const sets = Object.fromEntries(Object.entries(addToSets ?? {}).filter(([name]) => !listedUpTo?.[name]));
  return {
    ...rest,
    add: { ...add, ...Object.fromEntries(unlisted.map(([, { unlisted: counter }]) => [counter, 1])) },
    ...(Object.keys(sets).length > 0 ? { addToSets: sets } : {}),
  };
}

/**
 * The report counters (items `REPORT#<report>...`): an event's updates commit together with a marker
 * item named after the event id, conditional on the marker not existing, so an event delivered again
 * (EventBridge and the local bus deliver at least once; an archive replay) adds nothing.
 */
export class DynamoReportStore extends TableRepository implements ReportStore {
  /** The item that says an event was counted: written with its counters, only if it does not exist. */
  private marker(eventId: string, now: Date) {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          PK: `${reportMarkerPrefix}${eventId}`,
          SK: 'EVENT',
          at: now.toISOString(),
          [ttlAttribute]: Math.floor(now.getTime() / 1000) + markerDays * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  }

  async apply(eventId: string, updates: CounterUpdate[], now: Date): Promise<boolean> {
    const marker = this.marker(eventId, now);
    let counters = merged(updates);
    for (;;) {
      const input = { TransactItems: [marker, ...counters.map((u) => this.counterUpdate(u))] };
      try {
        // The marker exists: this event was counted before (false). Another projection writing the
        // same counter (a day's, a tier's: every event of a kind adds to a few shared items) is waited
        // out a few times; past those the event's delivery retries it.
        return await writeUnlessFirstConditionFails(this.db, input, maxAttempts);
      } catch (e) {
        // A listed set found full (its condition failed, so nothing was written): the event is
        // counted beyond the listed members instead. Sets only grow, so it stays full.
        const full = new Set(
          (cancellationCodes(e) ?? []).flatMap((code, i) =>
            code === 'ConditionalCheckFailed' ? [i - 1] : [],
          ),
        );
        if (![...full].some((i) => counters[i]?.listedUpTo)) throw e;
        counters = counters.map((u, i) => (full.has(i) ? beyondListed(u) : u));
      }
    }
  }

  /**
   * Applies several events (a delivered batch) in as few transactions as hold them: each transaction
   * writes the events' markers and the sum of their updates, so a counter that many of them add to
   * (a day's SLA figures, a tier's workload) is written once. A marker found (an event counted before:
   * a redelivery) takes its event out, and the rest is written again. A listed set found full, or
   * conflicts that outlast the waits, send each event of that transaction through {@link apply}, alone.
   * Any other failure is that transaction's events' outcome, for their delivery to retry.
   */
  async applyAll(events: EventUpdates[], now: Date): Promise<ApplyOutcome[]> {
    const outcomes = new Map<string, ApplyOutcome>();
    const byId = new Map<string, EventUpdates>();
    for (const e of events) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
    for (const group of transactionGroups([...byId.values()])) await this.applyGroup(group, now, outcomes);
    // An event delivered twice in one batch is counted once: its second copy was counted before.
    const seen = new Set<string>();
    return events.map((e) => {
      const outcome = outcomes.get(e.eventId) as ApplyOutcome;
      if (seen.has(e.eventId) && 'counted' in outcome) return { counted: false };
      seen.add(e.eventId);
      return outcome;
    });
  }

  private async applyGroup(group: EventUpdates[], now: Date, outcomes: Map<string, ApplyOutcome>) {
    let pending = group;
    for (let attempt = 1; pending.length > 1; ) {
      const counters = merged(pending.flatMap((e) => e.updates));
      const TransactItems = [
        ...pending.map((e) => this.marker(e.eventId, now)),
        ...counters.map((u) => this.counterUpdate(u)),
      ];
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems }));
        for (const e of pending) outcomes.set(e.eventId, { counted: true });
        return;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) {
          for (const e of pending) outcomes.set(e.eventId, { error });
          return;
        }
        const before = new Set(pending.filter((_, i) => codes[i] === 'ConditionalCheckFailed'));
        if (before.size > 0) {
          for (const e of before) outcomes.set(e.eventId, { counted: false });
          pending = pending.filter((e) => !before.has(e));
          continue;
        }
        if (!codes.includes('TransactionConflict') || attempt === maxAttempts) break;
        attempt += 1;
        await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
      }
    }
    for (const e of pending) {
      try {
        outcomes.set(e.eventId, { counted: await this.apply(e.eventId, e.updates, now) });
      } catch (error) {
        outcomes.set(e.eventId, { error });
      }
    }
  }

  /** One counter item's update: numbers and sets added, a listed set only while it has room. */
  private counterUpdate(u: CounterUpdate) {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const parts: string[] = [];
    const conditions: string[] = [];
    Object.entries(u.add ?? {}).forEach(([name, n], i) => {
      names[`#n${i}`] = name;
      values[`:n${i}`] = n;
      parts.push(`#n${i} :n${i}`);
    });
    Object.entries(u.addToSets ?? {}).forEach(([name, set], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = new Set(set);
      parts.push(`#s${i} :s${i}`);
      const listed = u.listedUpTo?.[name];
      const [member] = set;
      if (listed && member !== undefined) {
        // Room for one more, or the member is listed already (another event of the same complaint).
        values[`:l${i}`] = listed.limit;
        values[`:m${i}`] = member;
        conditions.push(
          `(attribute_not_exists(#s${i}) OR size(#s${i}) < :l${i} OR contains(#s${i}, :m${i}))`,
        );
      }
    });
    return {
      Update: {
        TableName: this.tableName,
        Key: { PK: `REPORT#${u.partition}`, SK: u.sort },
        UpdateExpression: `ADD ${parts.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      },
    };
  }

  async counterPage(
    report: string,
    from: string,
    to: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: CounterItem[]; cursor?: string | undefined }> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': `REPORT#${report}`, ':from': from, ':to': to },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor),
      }),
    );
    return {
      items: (out.Items ?? []).map(counterItem),
      cursor: encodeCursor(out.LastEvaluatedKey),
    };
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
    for await (const page of pages) out.push(...(page.Items ?? []).map(counterItem));
    return out;
  }
}
