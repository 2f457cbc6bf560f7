import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  paginateQuery,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../core/complaint';
import { ValidationError } from '../core/errors';
import type { InboundClaim } from '../core/mail/filing';
import type { OutboundMailRecord, SendLease } from './ports';
import { withoutCommandLog } from './sdkClient';
import { senderIndexKeys, senderPartition, tableIndexes } from './tableSchema';

/** An item of the table as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** The key of a complaint's item. */
export const complaintKey = (id: string) => ({ PK: `COMPLAINT#${id}`, SK: 'META' });

/**
 * The check, in a write's transaction, that a complaint still names the customer `address`: an erasure
 * replaces it by its pseudonym, and a write that adds what names the customer to the complaint's
 * partition must not commit after the erasure saved the complaint (its last pass over the timeline may
 * be over). The complaint as it stands comes back when it fails.
 */
export const namesCustomerCheck = (tableName: string, complaintId: string, address: string) => ({
  ConditionCheck: {
    TableName: tableName,
    Key: complaintKey(complaintId),
    ConditionExpression: 'customerEmail = :address',
    ExpressionAttributeValues: { ':address': address },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  },
});

export function timelineItem(complaintId: string, entry: TimelineEntry): Item {
  return { PK: `COMPLAINT#${complaintId}`, SK: `TL#${entry.at}#${entry.id}`, entity: 'timeline', ...entry };
}

export const encodeCursor = (key: Item | undefined) =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;

export function decodeCursor(cursor: string | undefined): Item | undefined {
  if (!cursor) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Item;
  } catch {
    // fall through: a cursor we did not issue
  }
  throw new ValidationError('Invalid pagination cursor');
}

export const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException ||
  (e as { name?: string })?.name === 'ConditionalCheckFailedException';

export const isTransactionCancelled = (e: unknown): e is TransactionCanceledException =>
  e instanceof TransactionCanceledException ||
  (e as { name?: string })?.name === 'TransactionCanceledException';

/** The cancellation reason codes of a cancelled transaction, one per action in request order; else undefined. */
export const cancellationCodes = (e: unknown): (string | undefined)[] | undefined =>
  isTransactionCancelled(e) ? (e.CancellationReasons ?? []).map((r) => r.Code) : undefined;

/**
 * One transaction whose first action is conditional (a marker that it was done): false when that
 * condition failed, so nothing was written. A conflict with another transaction on one of its items
 * (`TransactionConflict`: a shared counter written at once) wrote nothing either: it is tried again
 * after a short random wait, up to `attempts` times, then thrown.
 */
export async function writeUnlessFirstConditionFails(
  db: DynamoDBDocumentClient,
  input: TransactWriteCommandInput,
  attempts = 4,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand(input));
      return true;
    } catch (e) {
      const codes = cancellationCodes(e);
      if (codes?.[0] === 'ConditionalCheckFailed') return false;
      if (!codes?.includes('TransactionConflict') || attempt === attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }
}

/** Base of the repositories on the complaints table: its name and a document client. */
export abstract class TableRepository {
  protected readonly db: DynamoDBDocumentClient;

  constructor(
    protected readonly tableName: string,
    client: DynamoDBClient = withoutCommandLog(new DynamoDBClient({})),
  ) {
    // Optional fields are left out of items instead of failing the marshalling.
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Every mail record of one entity type filed under a sender's address (all pages of GSI3). */
  protected async itemsFromSender(sender: string, entity: string): Promise<Item[]> {
    const index = tableIndexes.byAssignee;
    const items: Item[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#k = :k',
        FilterExpression: 'entity = :entity',
        ExpressionAttributeNames: { '#k': index.partitionKey },
        ExpressionAttributeValues: { ':k': senderPartition(sender), ':entity': entity },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}

/**
 * A key part for values that may exceed DynamoDB's 2 KB partition-key limit (Message-IDs can be that
 * long): their SHA-256, base64url.
 */
export const hashedKey = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The domain record of a stored item: the table's key and index attributes removed. */
export function withoutKeys<T>(item: Item, keys: readonly string[]): T {
  const copy: Item = { ...item };
  for (const key of keys) delete copy[key];
  return copy as T;
}

/**
 * Inbound claims live in the partition of their Message-ID (`INMAIL#<hash>`), one item per dedupe key:
 * the claim is a single conditional put, and the Message-ID index for threading is a query of that
 * partition. Mail without a Message-ID has a partition of its own (its content digest).
 */
export const claimKey = (key: Pick<InboundClaim, 'dedupeKey' | 'messageId'>) => ({
  PK: `INMAIL#${hashedKey(key.messageId ?? key.dedupeKey)}`,
  SK: `CLAIM#${hashedKey(key.dedupeKey)}`,
});

/**
 * The send-once intent of an outbound mail, while its lease is held (mailLedger.ts); a state change
 * that calls for a mail may take the lease in its own transaction (complaintStore.ts).
 */
export const outboundIntentItem = (lease: SendLease): Item => ({
  PK: `OUTMAIL#${lease.id}`,
  SK: 'OUTMAIL',
  entity: 'outboundIntent',
  state: 'sending',
  at: lease.at,
  lease: lease.lease,
  leaseUntil: lease.leaseUntil,
});

export const outboundIntentKey = (id: string) => ({ PK: `OUTMAIL#${id}`, SK: 'OUTMAIL' });
export const outboundMailKey = (sesMessageId: string) => ({
  PK: `OUTBOUND#${sesMessageId}`,
  SK: 'OUTBOUND',
});

/** The record that maps a sent mail's SES MessageId to its complaint and mail. */
export const outboundMailItem = (sesMessageId: string, record: OutboundMailRecord): Item => ({
  ...outboundMailKey(sesMessageId),
  entity: 'outboundMail',
  sesMessageId,
  ...record,
});

/**
 * The update that marks the intent of mail `id` sent with its SES MessageId, only under the lease that
 * sent it (mailLedger.ts; the first workflow step commits it with its state change, complaintStore.ts).
 */
export const markSentUpdate = (tableName: string, id: string, lease: string, sesMessageId: string) => ({
  TableName: tableName,
  Key: outboundIntentKey(id),
  UpdateExpression: 'SET #s = :state, sesMessageId = :v REMOVE leaseUntil',
  ConditionExpression: 'lease = :lease',
  ExpressionAttributeNames: { '#s': 'state' },
  ExpressionAttributeValues: { ':state': 'sent', ':v': sesMessageId, ':lease': lease },
});

/** The claim item (mailLedger.ts); the transaction that opens a complaint from a mail writes it too. */
export const inboundClaimItem = (claim: InboundClaim): Item => ({
  ...claimKey(claim),
  entity: 'inboundClaim',
  ...senderIndexKeys(claim.sender, claim.receivedAt, claimKey(claim).SK),
  ...claim,
});
