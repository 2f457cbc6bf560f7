import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../core/complaint';
import type { InboundClaim, RawMailErasure } from '../core/mail/filing';
import {
  cancellationCodes,
  claimKey,
  hashedKey,
  type Item,
  inboundClaimItem,
  isConditionFailure,
  markSentUpdate,
  namesCustomerCheck,
  outboundIntentItem,
  outboundIntentKey,
  outboundMailItem,
  outboundMailKey,
  TableRepository,
  timelineItem,
  withoutKeys,
  writeUnlessFirstConditionFails,
} from './dynamoDocuments';
import type { AddressMark, MailLedger, OutboundIntent, OutboundMailRecord } from './ports';
import { senderIndexAttributes, ttlAttribute } from './tableSchema';

const claimOf = (item: Item) =>
  withoutKeys<InboundClaim>(item, ['PK', 'SK', 'entity', ...senderIndexAttributes]);
/**
 * A raw mail deleted on purpose, in the inbound claims' prefix (whoever files or erases mail writes
 * there), under a partition of its own: the hash of its object key, which names no one.
 */
const rawMailErasureKey = (rawMailKey: string) => ({
  PK: `INMAIL#${hashedKey(`raw-mail:${rawMailKey}`)}`,
  SK: 'ERASED',
});
const automailPartition = (recipient: string) => `AUTOMAIL#${recipient.toLowerCase()}`;
const automailWindowKey = (recipient: string, windowStart: number) => ({
  PK: automailPartition(recipient),
  SK: `WINDOW#${windowStart}`,
});
// Beside the address's automatic-mail counters, so that an erasure of the address forgets it with them.
const undeliverableKey = (address: string) => ({ PK: automailPartition(address), SK: 'UNDELIVERABLE' });

/** DynamoDB implementation of the {@link MailLedger}, on the complaints table. */
export class DynamoMailLedger extends TableRepository implements MailLedger {
  async markRawMailErased(rawMailKey: string, erasure: RawMailErasure) {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...rawMailErasureKey(rawMailKey), entity: 'rawMailErasure', ...erasure },
      }),
    );
  }

  async findRawMailErasure(rawMailKey: string) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: rawMailErasureKey(rawMailKey), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { erasedAt, complaintId, quarantineId } = out.Item;
    return {
      erasedAt: String(erasedAt),
      ...(typeof complaintId === 'string' ? { complaintId } : {}),
      ...(typeof quarantineId === 'string' ? { quarantineId } : {}),
    };
  }

  async findInboundClaim(key: Pick<InboundClaim, 'dedupeKey' | 'messageId'>) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: claimKey(key), ConsistentRead: true }),
    );
    return out.Item ? claimOf(out.Item) : undefined;
  }

  async claimInbound(claim: InboundClaim) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: inboundClaimItem(claim),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return claim;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.findInboundClaim(claim);
      if (!existing) throw e;
      return existing;
    }
  }

  async findIdByInboundMessageId(messageId: string) {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': `INMAIL#${hashedKey(messageId)}` },
        // Several claims share a Message-ID only when senders reuse it; the earliest mail is the original.
        Limit: 10,
      }),
    );
    const claims = (out.Items ?? []).map(claimOf).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    return claims[0]?.complaintId;
  }

  async beginOutbound(id: string, now: Date, leaseSeconds: number): Promise<OutboundIntent> {
    const lease = randomUUID();
    const at = now.toISOString();
    const leaseUntil = now.getTime() + leaseSeconds * 1000;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: outboundIntentItem({ id, lease, at, leaseUntil }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { state: 'acquired', lease, at };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: outboundIntentKey(id), ConsistentRead: true }),
    );
    const item = out.Item ?? {};
    if (item.state === 'sent') return { state: 'sent', sesMessageId: item.sesMessageId, at: item.at };
    if (item.state === 'suppressed') return { state: 'suppressed', reason: item.reason, at: item.at };
    if ((item.leaseUntil as number) > now.getTime()) return { state: 'busy' };
    // The holder gave up or died: take over (conditional on the lease we saw, so one caller wins).
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboundIntentKey(id),
          UpdateExpression: 'SET lease = :lease, leaseUntil = :until',
          ConditionExpression: '#s = :sending AND lease = :seen',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':lease': lease,
            ':until': leaseUntil,
            ':sending': 'sending',
            ':seen': item.lease,
          },
        }),
      );
      return { state: 'acquired', lease, at: item.at as string };
    } catch (e) {
      if (isConditionFailure(e)) return { state: 'busy' };
      throw e;
    }
  }

  async beginAutomaticOutbound(
    id: string,
    now: Date,
    leaseSeconds: number,
    cap: { recipient: string; windowStart: number; windowSeconds: number; max: number },
  ) {
    const lease = randomUUID();
    const at = now.toISOString();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: outboundIntentItem({ id, lease, at, leaseUntil: now.getTime() + leaseSeconds * 1000 }),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: undeliverableKey(cap.recipient),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: automailWindowKey(cap.recipient, cap.windowStart),
                UpdateExpression: 'ADD sent :one SET #ttl = :expires',
                ConditionExpression: 'attribute_not_exists(sent) OR sent < :max',
                ExpressionAttributeNames: { '#ttl': ttlAttribute },
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':max': cap.max,
                  ':expires': cap.windowStart + 2 * cap.windowSeconds,
                },
              },
            },
          ],
        }),
      );
      return { state: 'acquired' as const, lease, at };
    } catch (e) {
      if (cancellationCodes(e) !== undefined) return undefined;
      throw e;
    }
  }

  async completeOutbound(id: string, lease: string, result: Parameters<MailLedger['completeOutbound']>[2]) {
    // Only the lease holder records the outcome; a holder that lost its lease has sent a duplicate
    // at worst, and its record must not overwrite the winner's SES MessageId.
    const leaseHeld = { ConditionExpression: 'lease = :lease', ExpressionAttributeNames: { '#s': 'state' } };
    if (!('sesMessageId' in result)) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: outboundIntentKey(id),
            UpdateExpression: 'SET #s = :state, reason = :v REMOVE leaseUntil',
            ...leaseHeld,
            ExpressionAttributeValues: { ':state': 'suppressed', ':v': result.suppressed, ':lease': lease },
          }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    }
    const { sesMessageId, complaintId, entry, customerEmail } = result;
    const markSent = markSentUpdate(this.tableName, id, lease, sesMessageId);
    // Mail no complaint sent (the weekly digest) has no record to map its SES id to, nor a timeline.
    if (complaintId === undefined || entry === undefined) {
      try {
        await this.db.send(new UpdateCommand(markSent));
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    }
    // The intent turns `sent` together with the SES MessageId -> mail record: SES events and replies name
    // the mail only by that id, so a sent mail is never without it. Its timeline entry joins them: one
    // request instead of two, and a sent mail is never missing from the timeline.
    // A concurrent write on one of the items (a lease take-over being refused) is waited out and tried
    // again; the lease lost (the first item's condition) is false.
    const record = (recorded: TimelineEntry, unerased?: { address: string }) =>
      writeUnlessFirstConditionFails(
        this.db,
        {
          TransactItems: [
            { Update: markSent },
            {
              Put: {
                TableName: this.tableName,
                Item: outboundMailItem(sesMessageId, { complaintId, mailId: id }),
              },
            },
            { Put: { TableName: this.tableName, Item: timelineItem(complaintId, recorded) } },
            // The complaint still has the address the mail was made for (the last item: see below).
            ...(unerased ? [namesCustomerCheck(this.tableName, complaintId, unerased.address)] : []),
          ],
        },
        // SES has taken the mail: a record given up on is a lease taken over later, and a second copy.
        // The check reads the complaint item, which the workflow's own writes may hold a moment.
        6,
      );
    try {
      return await record(entry, { address: customerEmail });
    } catch (e) {
      // The customer was erased while SES took the mail: the erasure's last pass over the timeline may
      // be over, so the entry is written as the erasure would have left it. (Its code only here.)
      if (cancellationCodes(e)?.[3] !== 'ConditionalCheckFailed') throw e;
      const { erasedFor } = await import('../core/erasure');
      return record(erasedFor(entry, customerEmail));
    }
  }

  async recordOutboundMail(sesMessageId: string, record: OutboundMailRecord) {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: outboundMailItem(sesMessageId, record) }),
    );
  }

  async findOutboundMail(sesMessageId: string) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: outboundMailKey(sesMessageId), ConsistentRead: true }),
    );
    return out.Item
      ? withoutKeys<OutboundMailRecord>(out.Item, ['PK', 'SK', 'entity', 'sesMessageId', 'bounceEntry'])
      : undefined;
  }

  async claimBounceFiling(sesMessageId: string, entryId: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboundMailKey(sesMessageId),
          UpdateExpression: 'SET bounceEntry = :e',
          ConditionExpression:
            'attribute_exists(PK) AND (attribute_not_exists(bounceEntry) OR bounceEntry = :e)',
          ExpressionAttributeValues: { ':e': entryId },
        }),
      );
      return true;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    // A mail without an OUTBOUND record (known by its SES tags only) has nothing to de-duplicate
    // against: filed. Otherwise another entry holds the claim.
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: outboundMailKey(sesMessageId), ConsistentRead: true }),
    );
    return out.Item === undefined;
  }

  async markUndeliverable(address: string, mark: AddressMark, customerOf?: string) {
    const put = {
      TableName: this.tableName,
      Item: { ...undeliverableKey(address), entity: 'undeliverable', ...mark },
      // The first report stands (a redelivered or later event would only restate it).
      ConditionExpression: 'attribute_not_exists(PK)',
    };
    if (customerOf === undefined) {
      await this.db.send(new PutCommand(put)).catch((e: unknown) => {
        if (!isConditionFailure(e)) throw e;
      });
      return true;
    }
    // Only while the complaint still names the address: an erasure forgets the marks after it saved
    // the complaint, so a mark written after that save would keep the address. Checked first, so that
    // its failure is the one `writeUnlessFirstConditionFails` answers.
    try {
      return await writeUnlessFirstConditionFails(this.db, {
        TransactItems: [namesCustomerCheck(this.tableName, customerOf, address), { Put: put }],
      });
    } catch (e) {
      if (cancellationCodes(e)?.[1] === 'ConditionalCheckFailed') return true;
      throw e;
    }
  }

  async findUndeliverable(address: string) {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: undeliverableKey(address), ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<AddressMark>(out.Item, ['PK', 'SK', 'entity']) : undefined;
  }

  async clearUndeliverable(address: string) {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: undeliverableKey(address) }));
  }

  async abandonOutbound(id: string, lease: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboundIntentKey(id),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: 'lease = :lease',
          ExpressionAttributeValues: { ':zero': 0, ':lease': lease },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async countAutomaticMail(recipient: string, windowStart: number, windowSeconds: number) {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: automailWindowKey(recipient, windowStart),
        // ADD on one item is atomic: concurrent senders each get a distinct count.
        UpdateExpression: 'ADD sent :one SET #ttl = :expires',
        ExpressionAttributeNames: { '#ttl': ttlAttribute },
        ExpressionAttributeValues: { ':one': 1, ':expires': windowStart + 2 * windowSeconds },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return out.Attributes?.sent as number;
  }

  async forgetAutomaticMail(recipient: string) {
    let count = 0;
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': automailPartition(recipient) },
        ProjectionExpression: 'PK, SK',
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        await this.db.send(
          new DeleteCommand({ TableName: this.tableName, Key: { PK: item.PK, SK: item.SK } }),
        );
        count += 1;
      }
    }
    return count;
  }

  async claimsFromSender(sender: string) {
    return (await this.itemsFromSender(sender, 'inboundClaim')).map(claimOf);
  }

  async replaceErasedClaim(original: InboundClaim, erased: InboundClaim) {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...claimKey(original), entity: 'inboundClaim', ...erased },
        ConditionExpression: 'attribute_exists(PK)',
      }),
    );
  }
}
