import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { InboundClaim } from '../core/mail/filing';
import type { Item } from './complaintStore';
import type { OutboundMailRecord, SendLease } from './ports';
import { withoutCommandLog } from './sdkClient';
import { senderIndexKeys, senderPartition, tableIndexes } from './tableSchema';

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
