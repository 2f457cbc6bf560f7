import { isDeepStrictEqual } from 'node:util';
import type { AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Complaint, queuedStatuses, queueOf, type TimelineEntry } from '../core/complaint';
import { ConflictError, StaleWriteError } from '../core/errors';
import type { InboundClaim } from '../core/mail/filing';
import type { AgentRole } from '../core/policy';
import {
  cancellationCodes,
  complaintKey,
  decodeCursor,
  encodeCursor,
  type Item,
  inboundClaimItem,
  isConditionFailure,
  isTransactionCancelled,
  markSentUpdate,
  namesCustomerCheck,
  outboundIntentItem,
  outboundMailItem,
  TableRepository,
  timelineItem,
  writeUnlessFirstConditionFails,
} from './dynamoDocuments';
import type {
  ComplaintStore,
  ListOptions,
  OpenedFromMail,
  Page,
  SaveCondition,
  SendLease,
  SentMail,
} from './ports';
import { tableIndexes } from './tableSchema';

const keyAttributes = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'GSI3PK', 'GSI3SK', 'entity'];

/** The keys of the queue (GSI2) and assignee (GSI3) indexes the complaint's current state calls for. */
function workIndexKeys(c: Complaint): Item {
  const due = `${c.slaDueAt ?? '9999-12-31T23:59:59.999Z'}#${c.id}`;
  const queued = queuedStatuses.includes(c.status);
  return {
    // Only complaints waiting on an agent are in a tier queue: the item leaves the index when it moves on.
    ...(queued ? { GSI2PK: `QUEUE#${queueOf(c)}`, GSI2SK: due } : {}),
    ...(c.assignee && c.status !== 'closed' ? { GSI3PK: `AGENT#${c.assignee}`, GSI3SK: due } : {}),
  };
}
const workIndexAttributes = ['GSI2PK', 'GSI2SK', 'GSI3PK', 'GSI3SK'];

/** The complaint item with the sparse index keys its current state calls for. */
function toItem(c: Complaint): Item {
  return {
    ...complaintKey(c.id),
    entity: 'complaint',
    ...c,
    GSI1PK: `CUSTOMER#${c.customerEmail}`,
    GSI1SK: `${c.createdAt}#${c.id}`,
    ...workIndexKeys(c),
  };
}

/**
 * An UpdateItem of what a change set or cleared (the attributes whose values differ between `before`
 * and `next`) and of the queue and assignee index keys, conditional on `before`'s version and status.
 * The customer index key is left alone: its attributes (address, creation time) never change here.
 */
function changeUpdate(before: Complaint, next: Complaint) {
  const names: Record<string, string> = { '#version': 'version', '#status': 'status' };
  const values: Record<string, unknown> = {
    ':expectedVersion': before.version,
    ':expectedStatus': before.status,
  };
  const set: string[] = [];
  const remove: string[] = [];
  const indexKeys = workIndexKeys(next);
  const attributes: Item = {
    ...next,
    ...Object.fromEntries(workIndexAttributes.map((k) => [k, indexKeys[k]])),
  };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'id' || (name in before && isDeepStrictEqual(before[name as keyof Complaint], value)))
      continue;
    names[`#${name}`] = name;
    if (value === undefined) {
      remove.push(`#${name}`);
    } else {
      values[`:${name}`] = value;
      set.push(`#${name} = :${name}`);
    }
  }
  return {
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: '#version = :expectedVersion AND #status = :expectedStatus',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function fromItem(item: Item): Complaint {
  const copy: Item = { ...item };
  for (const k of keyAttributes) delete copy[k];
  return copy as unknown as Complaint;
}

/**
 * The key of an entry added once (`appendOnce`): its id alone, no time (its time is when it was first
 * asked for, which a retry cannot know). `TL!` sorts before `TL#`: readers put these in time order.
 */
const onceSortKey = (entryId: string) => `TL!${entryId}`;

/** A timeline item as the entry it stores (without its keys). */
function entryOf(item: Item): TimelineEntry {
  const { PK: _pk, SK: _sk, entity: _e, ...entry } = item;
  return entry as unknown as TimelineEntry;
}

/**
 * Customers a recurring-issue window lists in its item's set; each further one is counted by an item
 * of their own under the window (`recordCategoryOccurrence`).
 */
export const recurringListedCustomers = 100;
const recurringKey = (windowKey: string) => ({ PK: `RECURRING#${windowKey}`, SK: 'RECURRING' });
const recurringCustomerSortKey = (customer: string) => `CUSTOMER#${customer}`;
/** Distinct customers a window's item counts: those its set lists and those counted beyond it. */
const distinctCustomers = (item: Record<string, unknown> | undefined) =>
  ((item?.customers as Set<string> | undefined)?.size ?? 0) +
  ((item?.furtherCustomers as number | undefined) ?? 0);

/** TransactWriteItems takes at most 100 actions. */
const maxTransactionItems = 100;

/**
 * Whether a cancelled transaction lost a race on its first item (the complaint): its condition failed
 * (`ConditionalCheckFailed`), or another transaction was writing the same item (`TransactionConflict`,
 * worth retrying on a fresh read). DynamoDB gives one reason per action, in request order.
 */
function lostOnFirstItem(e: unknown): boolean {
  const codes = cancellationCodes(e);
  if (!codes) return false;
  return codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict');
}

/**
 * The complaint as stored when the first item's condition failed: the transaction asks for it
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`) so that the loser needs no read to see what won.
 */
function currentOnFirstItem(e: unknown): Complaint | undefined {
  const item = isTransactionCancelled(e) ? e.CancellationReasons?.[0]?.Item : undefined;
  return item ? fromItem(unmarshall(item)) : undefined;
}

function assertFitsOneTransaction(complaintId: string, items: number) {
  // Split, the state change could commit without part of its audit trail: refuse instead.
  if (items > maxTransactionItems) {
    throw new Error(
      `Complaint ${complaintId}: ${items} writes do not fit one transaction (at most ${maxTransactionItems})`,
    );
  }
}

/**
 * DynamoDB implementation of the complaint repository. A complaint's state change and the timeline
 * entries that record it commit together (TransactWriteItems: all or nothing, conditional on the
 * complaint's version); every other write touches one item on a deterministic key (timeline-only
 * appends batch several of them).
 */
export class DynamoComplaintStore extends TableRepository implements ComplaintStore {
  /**
   * The Puts that make a new complaint, the complaint first (its condition is what `lostOnFirstItem`
   * reads): the complaint (only if new), its thread token and its timeline entries.
   */
  private newComplaintPuts(complaint: Complaint, entries: TimelineEntry[]) {
    return {
      complaint: {
        Put: {
          TableName: this.tableName,
          Item: toItem(complaint),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      thread: {
        Put: {
          TableName: this.tableName,
          Item: { PK: `THREAD#${complaint.threadToken}`, SK: 'THREAD', complaintId: complaint.id },
        },
      },
      timeline: this.timelinePuts(complaint.id, entries),
    };
  }

  /** The reference's claim for a complaint: written when free or already this complaint's. */
  private referencePut(reference: string, complaintId: string) {
    return {
      TableName: this.tableName,
      Item: { PK: `REF#${reference}`, SK: 'REF', complaintId },
      ConditionExpression: 'attribute_not_exists(PK) OR complaintId = :id',
      ExpressionAttributeValues: { ':id': complaintId },
    };
  }

  /** The Puts of a change's timeline entries, in the transaction that makes the change. */
  private timelinePuts(complaintId: string, entries: TimelineEntry[]) {
    return entries.map((e) => ({ Put: { TableName: this.tableName, Item: timelineItem(complaintId, e) } }));
  }

  async create(complaint: Complaint, entries: TimelineEntry[]) {
    assertFitsOneTransaction(complaint.id, entries.length + 2);
    const puts = this.newComplaintPuts(complaint, entries);
    try {
      await this.db.send(
        new TransactWriteCommand({ TransactItems: [puts.complaint, puts.thread, ...puts.timeline] }),
      );
      return { created: true, complaint };
    } catch (e) {
      if (!lostOnFirstItem(e)) throw e;
      const existing = await this.get(complaint.id);
      // A TransactionConflict with a create that has not committed yet: the caller retries.
      if (!existing) throw new ConflictError('The complaint is being created by someone else');
      return { created: false, complaint: existing };
    }
  }

  async openFromMail(
    complaint: Complaint,
    entries: TimelineEntry[],
    claim: InboundClaim,
  ): Promise<OpenedFromMail> {
    assertFitsOneTransaction(complaint.id, entries.length + 4);
    const puts = this.newComplaintPuts(complaint, entries);
    // The claim goes first: its cancellation reason (one per action, in request order) says whether
    // another delivery claimed the mail.
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: inboundClaimItem(claim),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            puts.complaint,
            puts.thread,
            { Put: this.referencePut(complaint.reference, complaint.id) },
            ...puts.timeline,
          ],
        }),
      );
      return 'opened';
    } catch (e) {
      // A condition failed (the claim, the reference or the complaint exists) or another transaction
      // was writing one of the items: nothing was written.
      if (!isTransactionCancelled(e)) throw e;
      return e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' ? 'claimed' : 'refused';
    }
  }

  async get(id: string) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: complaintKey(id), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Claims a reference for a complaint; false when another complaint holds it. */
  async reserveReference(reference: string, complaintId: string): Promise<boolean> {
    try {
      await this.db.send(new PutCommand(this.referencePut(reference, complaintId)));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async findIdByReference(reference: string) {
    return this.lookup(`REF#${reference}`, 'REF');
  }

  async findIdByThreadToken(token: string) {
    return this.lookup(`THREAD#${token}`, 'THREAD');
  }

  /**
   * The Put of the whole complaint item, on the condition that the stored version is the one before
   * `next` (and, when given, that the task token is still live); a lost condition returns the stored
   * item (`currentOnFirstItem`).
   */
  private versionedPut(next: Complaint, condition: SaveCondition = {}) {
    const names: Record<string, string> = { '#v': 'version' };
    const values: Record<string, unknown> = { ':v': next.version - 1 };
    let expression = '#v = :v';
    if (condition.taskToken !== undefined) {
      names['#t'] = 'taskToken';
      values[':t'] = condition.taskToken;
      expression += ' AND #t = :t';
    }
    return {
      Put: {
        TableName: this.tableName,
        Item: toItem(next),
        ConditionExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  }

  async save(
    next: Complaint,
    entries: TimelineEntry[],
    condition: SaveCondition = {},
    sendLease?: SendLease,
  ) {
    const { unchanged } = condition;
    assertFitsOneTransaction(next.id, entries.length + (sendLease ? 2 : 1) + (unchanged ? 1 : 0));
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.versionedPut(next, condition),
            ...this.timelinePuts(next.id, entries),
            ...(sendLease
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: outboundIntentItem(sendLease),
                      ConditionExpression: 'attribute_not_exists(PK)',
                    },
                  },
                ]
              : []),
            // Last, so that its reason is the last one.
            ...(unchanged
              ? [
                  {
                    ConditionCheck: {
                      TableName: this.tableName,
                      Key: complaintKey(unchanged.id),
                      ConditionExpression: '#v = :v',
                      ExpressionAttributeNames: { '#v': 'version' },
                      ExpressionAttributeValues: { ':v': unchanged.version },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (e) {
      const codes = cancellationCodes(e);
      if (
        unchanged &&
        codes?.[0] !== 'ConditionalCheckFailed' &&
        codes?.at(-1) === 'ConditionalCheckFailed'
      ) {
        throw new ConflictError(`Complaint ${unchanged.id} changed since it was read: read it again`, {
          changedComplaint: unchanged.id,
        });
      }
      if (!lostOnFirstItem(e)) throw e;
      throw await this.staleWrite(e, next.id);
    }
  }

  /** The conflict of a write that lost on the complaint's condition, with the complaint as it stands. */
  private async staleWrite(e: unknown, id: string) {
    const current = currentOnFirstItem(e) ?? (await this.get(id));
    return new StaleWriteError(
      'The complaint was changed by someone else',
      { currentVersion: current?.version, complaintStatus: current?.status },
      { current },
    );
  }

  async saveWithSentMail(next: Complaint, entries: TimelineEntry[], sent: SentMail) {
    assertFitsOneTransaction(next.id, entries.length + 4);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            this.versionedPut(next),
            ...this.timelinePuts(next.id, entries),
            // The mail's part, as `MailLedger.completeOutbound` writes it alone.
            { Update: markSentUpdate(this.tableName, sent.id, sent.lease, sent.sesMessageId) },
            {
              Put: {
                TableName: this.tableName,
                Item: outboundMailItem(sent.sesMessageId, { complaintId: sent.complaintId, mailId: sent.id }),
              },
            },
            ...this.timelinePuts(sent.complaintId, [sent.entry]),
          ],
        }),
      );
      return 'saved' as const;
    } catch (e) {
      const codes = cancellationCodes(e);
      if (!codes) throw e;
      // One reason per action, in request order: the lease's condition sits after the change's entries.
      if (codes[1 + entries.length] === 'ConditionalCheckFailed') return 'leaseLost' as const;
      if (lostOnFirstItem(e)) return 'complaintChanged' as const;
      throw e;
    }
  }

  async saveChange(before: Complaint, next: Complaint, entries: TimelineEntry[]) {
    // Every write of the complaint moves its version: what a reader holds is then current exactly
    // while its version is the stored one.
    if (next.version !== before.version + 1) {
      throw new Error(`Complaint ${next.id}: a change must move the version by one`);
    }
    assertFitsOneTransaction(next.id, entries.length + 1);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: complaintKey(next.id),
                ...changeUpdate(before, next),
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...this.timelinePuts(next.id, entries),
          ],
        }),
      );
      return { saved: true } as const;
    } catch (e) {
      if (lostOnFirstItem(e)) return { saved: false, current: currentOnFirstItem(e) } as const;
      throw e;
    }
  }

  async append(complaintId: string, entries: TimelineEntry[], customer?: string) {
    if (customer === undefined) {
      await this.putItems(entries.map((e) => timelineItem(complaintId, e)));
      return true;
    }
    // The check first: its failure is the one `writeUnlessFirstConditionFails` answers (false); a
    // conflict with the erasure's own transaction on the complaint is waited out and tried again.
    assertFitsOneTransaction(complaintId, entries.length + 1);
    return writeUnlessFirstConditionFails(this.db, {
      TransactItems: [
        namesCustomerCheck(this.tableName, complaintId, customer),
        ...this.timelinePuts(complaintId, entries),
      ],
    });
  }

  /** Puts items 25 to a BatchWriteItem, resending what DynamoDB leaves unprocessed (with backoff). */
  private async putItems(items: Item[]) {
    for (let i = 0; i < items.length; i += 25) {
      let requests: Record<string, Item[]> = {
        [this.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; Object.keys(requests).length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = (out.UnprocessedItems ?? {}) as Record<string, Item[]>;
      }
    }
  }

  async appendOnce(complaintId: string, entry: TimelineEntry, customer?: string) {
    // One conditional put on a key without the time: a second call finds the first one's item, which
    // the failed condition returns, and writes nothing.
    const put = {
      TableName: this.tableName,
      Item: { ...timelineItem(complaintId, entry), SK: onceSortKey(entry.id) },
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const found = (old: Record<string, AttributeValue> | undefined) => ({
      entry: old ? entryOf(unmarshall(old)) : entry,
      added: false,
    });
    if (customer === undefined) {
      try {
        await this.db.send(new PutCommand(put));
        return { entry, added: true };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        return found((e as ConditionalCheckFailedException).Item);
      }
    }
    // The same put in one transaction with the check that the complaint still names the customer (one
    // request either way). The check comes first, as in `save`, so that `lostOnFirstItem` reads it.
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [namesCustomerCheck(this.tableName, complaintId, customer), { Put: put }],
        }),
      );
      return { entry, added: true };
    } catch (e) {
      const codes = cancellationCodes(e);
      if (codes?.[1] === 'ConditionalCheckFailed' && codes[0] !== 'ConditionalCheckFailed') {
        return found(isTransactionCancelled(e) ? e.CancellationReasons?.[1]?.Item : undefined);
      }
      if (!lostOnFirstItem(e)) throw e;
      throw await this.staleWrite(e, complaintId);
    }
  }

  async rewriteTimeline(complaintId: string, entries: TimelineEntry[]) {
    // In place: each entry under every key its id is stored under (`TL#<at>#<id>`, `TL!<id>` for one
    // added once, and any copy an earlier version wrote twice), so nothing of the old text is left.
    const keys = new Map<string, string[]>();
    await this.queryPartition(complaintId, { timelineOnly: true, keysOnly: true }, (item) => {
      keys.set(item.id as string, [...(keys.get(item.id as string) ?? []), item.SK as string]);
    });
    await this.putItems(
      entries.flatMap((e) => {
        const item = timelineItem(complaintId, e);
        return (keys.get(e.id) ?? [item.SK as string]).map((SK) => ({ ...item, SK }));
      }),
    );
  }

  async timeline(complaintId: string) {
    return (await this.readPartition(complaintId, true)).timeline;
  }

  async withTimeline(id: string) {
    const { complaint, timeline } = await this.readPartition(id, false);
    return complaint ? { complaint, timeline } : undefined;
  }

  /**
   * The complaint's partition in order: `META` sorts before the `TL!` and `TL#` entries, so one query
   * (strongly consistent, like `get`) reads the complaint and its whole timeline.
   */
  private async readPartition(complaintId: string, timelineOnly: boolean) {
    let complaint: Complaint | undefined;
    const timeline: TimelineEntry[] = [];
    let addedOnce = false;
    await this.queryPartition(complaintId, { timelineOnly }, (item) => {
      if (item.SK === 'META') complaint = fromItem(item);
      else {
        if ((item.SK as string).startsWith('TL!')) addedOnce = true;
        timeline.push(entryOf(item));
      }
    });
    // Entries added once (`TL!<id>`) come first in key order: in time order with the rest. The sort is
    // stable, so the `TL#` entries keep their order.
    if (addedOnce) timeline.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
    return { complaint, timeline };
  }

  /**
   * Every item of the complaint's partition in key order, page by page (strongly consistent): only the
   * timeline's (`TL!`, `TL#`) with `timelineOnly`, only their `SK` and `id` with `keysOnly`.
   */
  private async queryPartition(
    complaintId: string,
    { timelineOnly = false, keysOnly = false }: { timelineOnly?: boolean; keysOnly?: boolean },
    visit: (item: Item) => void,
  ) {
    let cursor: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: timelineOnly ? 'PK = :pk AND begins_with(SK, :tl)' : 'PK = :pk',
          ExpressionAttributeValues: {
            ':pk': `COMPLAINT#${complaintId}`,
            ...(timelineOnly ? { ':tl': 'TL' } : {}),
          },
          ...(keysOnly ? { ProjectionExpression: 'SK, id' } : {}),
          ExclusiveStartKey: cursor,
          ConsistentRead: true,
        }),
      );
      for (const item of out.Items ?? []) visit(item);
      cursor = out.LastEvaluatedKey;
    } while (cursor);
  }

  queue(queue: AgentRole, options: ListOptions = {}) {
    return this.queryIndex(tableIndexes.queue.name, 'GSI2PK', `QUEUE#${queue}`, true, options);
  }

  byCustomer(email: string, options: ListOptions = {}) {
    return this.queryIndex(
      tableIndexes.byCustomer.name,
      'GSI1PK',
      `CUSTOMER#${email.toLowerCase()}`,
      false,
      options,
    );
  }

  byAssignee(agentId: string, options: ListOptions = {}) {
    return this.queryIndex(tableIndexes.byAssignee.name, 'GSI3PK', `AGENT#${agentId}`, true, options);
  }

  async recordCategoryOccurrence(windowKey: string, customer: string) {
    const Key = recurringKey(windowKey);
    const address = customer.toLowerCase();
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          // A string set makes the count one per customer however often they write; single-item ADD is
          // atomic. The set stays small: DynamoDB rewrites (and on AWS bills) the whole item on every
          // add, and an item holds 400 KB, some 15,000 addresses, which a busy day's outage reaches.
          // Once it lists `recurringListedCustomers`, only the customers it lists are added (a no-op).
          UpdateExpression: 'ADD customers :c',
          ConditionExpression:
            'attribute_not_exists(customers) OR size(customers) < :listed OR contains(customers, :a)',
          ExpressionAttributeValues: {
            ':c': new Set([address]),
            ':listed': recurringListedCustomers,
            ':a': address,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return distinctCustomers(out.Attributes);
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const old = (e as ConditionalCheckFailedException).Item;
      // Each further customer gets an item of their own, created once, and is counted with it.
      return (
        distinctCustomers(old ? unmarshall(old) : undefined) + (await this.countFurtherCustomer(Key, address))
      );
    }
  }

  /** 1 when the customer was counted now, 0 when they were counted before (a marker of theirs exists). */
  private async countFurtherCustomer(Key: { PK: string; SK: string }, address: string): Promise<number> {
    const counted = await writeUnlessFirstConditionFails(this.db, {
      TransactItems: [
        {
          Put: {
            TableName: this.tableName,
            Item: { PK: Key.PK, SK: recurringCustomerSortKey(address), entity: 'recurringCustomer' },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key,
            UpdateExpression: 'ADD furtherCustomers :one',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    });
    return counted ? 1 : 0;
  }

  async pseudonymiseCategoryOccurrence(windowKey: string, customerEmail: string, pseudonym: string) {
    const Key = recurringKey(windowKey);
    const address = customerEmail.toLowerCase();
    // One expression may not touch the set twice: add the pseudonym (only where the address is), then
    // delete the address. A failure in between leaves the count unchanged or one too high, never lower.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD customers :p',
          ConditionExpression: 'contains(customers, :a)',
          ExpressionAttributeValues: { ':p': new Set([pseudonym]), ':a': address },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return this.pseudonymiseFurtherCustomer(Key, address, pseudonym);
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'DELETE customers :a',
        ExpressionAttributeValues: { ':a': new Set([address]) },
      }),
    );
    return true;
  }

  /** A customer counted beyond the set: their marker, keyed by the address, becomes the pseudonym's. */
  private pseudonymiseFurtherCustomer(Key: { PK: string; SK: string }, address: string, pseudonym: string) {
    return writeUnlessFirstConditionFails(this.db, {
      TransactItems: [
        {
          Delete: {
            TableName: this.tableName,
            Key: { PK: Key.PK, SK: recurringCustomerSortKey(address) },
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { PK: Key.PK, SK: recurringCustomerSortKey(pseudonym), entity: 'recurringCustomer' },
          },
        },
      ],
    });
  }

  async findIdByOutbound(sesMessageId: string) {
    return this.lookup(`OUTBOUND#${sesMessageId}`, 'OUTBOUND');
  }

  private async lookup(pk: string, sk: string) {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { PK: pk, SK: sk } }));
    return out.Item?.complaintId as string | undefined;
  }

  private async queryIndex(
    indexName: string,
    keyName: string,
    keyValue: string,
    ascending: boolean,
    options: ListOptions,
  ): Promise<Page<Complaint>> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: indexName,
      KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': keyName, ...(options.status ? { '#s': 'status' } : {}) },
      ExpressionAttributeValues: { ':k': keyValue, ...(options.status ? { ':s': options.status } : {}) },
      ...(options.status ? { FilterExpression: '#s = :s' } : {}),
      ScanIndexForward: ascending,
      Limit: options.limit ?? 50,
      ExclusiveStartKey: decodeCursor(options.cursor),
    };
    const out = await this.db.send(new QueryCommand(input));
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(fromItem), ...(cursor ? { cursor } : {}) };
  }
}
