import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type IntakeOutcome, type QuarantinedMail, quarantinedMailSender } from '../core/mail/filing';
import {
  decodeCursor,
  encodeCursor,
  type Item,
  isConditionFailure,
  isTransactionCancelled,
  TableRepository,
  withoutKeys,
} from './dynamoDocuments';
import type { Page, PendingRelease, QuarantineStore } from './ports';
import { senderIndexAttributes, senderIndexKeys, tableIndexes } from './tableSchema';

const key = (id: string) => ({ PK: `QUARANTINE#${id}`, SK: 'QUARANTINE' });
/**
 * Releases not yet filed: one marker per released mail in one partition, written with the release and
 * deleted with the outcome, so the intake function's sweep reads only the releases still open (none,
 * mostly) instead of every mail ever released. Quarantine ids are 26 hex digits: no record has this key.
 */
const pendingPartition = 'QUARANTINE#pending-releases';
const pendingKey = (id: string) => ({ PK: pendingPartition, SK: id });
// The quarantine list overloads the byCustomer index (GSI1) with its own partitions, one per status:
// no extra index, and a released mail leaves the "quarantined" list by rewriting one attribute.
const index = tableIndexes.byCustomer;
const listKeys = (mail: Pick<QuarantinedMail, 'status' | 'id' | 'quarantinedAt'>) => ({
  [index.partitionKey]: `QUARANTINE#${mail.status}`,
  [index.sortKey]: `${mail.quarantinedAt}#${mail.id}`,
});

const fromItem = (item: Item) =>
  withoutKeys<QuarantinedMail>(item, [
    'PK',
    'SK',
    'entity',
    index.partitionKey,
    index.sortKey,
    ...senderIndexAttributes,
  ]);

/** DynamoDB implementation of the {@link QuarantineStore}, on the complaints table. */
export class DynamoQuarantineStore extends TableRepository implements QuarantineStore {
  async hold(mail: QuarantinedMail) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key(mail.id),
            entity: 'quarantine',
            ...listKeys(mail),
            ...senderIndexKeys(quarantinedMailSender(mail), mail.quarantinedAt, mail.id),
            ...mail,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return mail;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return (await this.get(mail.id)) ?? mail;
    }
  }

  async get(id: string) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key(id), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async list(
    status: QuarantinedMail['status'],
    options: { limit?: number; cursor?: string } = {},
  ): Promise<Page<QuarantinedMail>> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': index.partitionKey },
        ExpressionAttributeValues: { ':k': `QUARANTINE#${status}` },
        ScanIndexForward: false,
        Limit: options.limit ?? 50,
        ExclusiveStartKey: decodeCursor(options.cursor),
      }),
    );
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(fromItem), ...(cursor ? { cursor } : {}) };
  }

  async release(id: string, released: NonNullable<QuarantinedMail['released']>) {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(id);
      if (current?.status !== 'quarantined') return current;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: key(id),
                  UpdateExpression: 'SET #s = :released, released = :by, #pk = :pk',
                  // First caller wins; a concurrent release reads the winner's record on the next turn.
                  ConditionExpression: '#s = :quarantined',
                  ExpressionAttributeNames: { '#s': 'status', '#pk': index.partitionKey },
                  ExpressionAttributeValues: {
                    ':released': 'released',
                    ':quarantined': 'quarantined',
                    ':by': released,
                    ':pk': 'QUARANTINE#released',
                  },
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...pendingKey(id), entity: 'pendingRelease', releasedAt: released.at },
                },
              },
            ],
          }),
        );
        return { ...current, status: 'released' as const, released };
      } catch (e) {
        // Lost to a concurrent release (its condition) or a concurrent write (a conflict): read again.
        if (!isTransactionCancelled(e) || attempt >= 4) throw e;
      }
    }
  }

  async fromSender(sender: string) {
    return (await this.itemsFromSender(sender, 'quarantine')).map(fromItem);
  }

  async replaceErased(mail: QuarantinedMail) {
    // Without the sender's index keys: the erased record is no longer filed under the address.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key(mail.id), entity: 'quarantine', ...listKeys(mail), ...mail },
        ConditionExpression: 'attribute_exists(PK)',
      }),
    );
  }

  async recordHandOver(id: string, handedOver: NonNullable<QuarantinedMail['handedOver']>) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(id),
        // The first hand-over is the one recorded; a repeated release hands over again, harmlessly.
        UpdateExpression: 'SET handedOver = if_not_exists(handedOver, :h)',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':h': handedOver },
      }),
    );
  }

  async recordOutcome(id: string, outcome: IntakeOutcome) {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: key(id),
              UpdateExpression: 'SET outcome = :o',
              ExpressionAttributeValues: { ':o': outcome },
            },
          },
          { Delete: { TableName: this.tableName, Key: pendingKey(id) } },
        ],
      }),
    );
  }

  async pendingReleases(limit = 100): Promise<PendingRelease[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': pendingPartition },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({ id: String(item.SK), releasedAt: String(item.releasedAt) }));
  }

  async forgetPendingRelease(id: string) {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: pendingKey(id) }));
  }
}
