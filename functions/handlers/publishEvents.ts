import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { EventBridgePublisher } from '../adapters/eventBus';
import { type ChangeRecord, publishDomainEvents } from '../application/insights/publishDomainEvents';
import { parseEnvironment } from '../shared/config';
import { logger } from '../shared/logger';

const env = parseEnvironment(z.object({ EVENT_BUS_NAME: z.string().min(1) }));
const deps = { bus: new EventBridgePublisher(env.EVENT_BUS_NAME) };

/**
 * DynamoDB Streams → EventBridge: publishes the domain event of every audit item inserted in the table.
 * A failure is reported as a partial batch failure from the first unpublished record (records are
 * in commit order within a shard), so Lambda retries from there; what still fails goes to the event
 * source's on-failure queue.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const records: ChangeRecord[] = event.Records.map((r) => ({
    sequenceNumber: r.dynamodb?.SequenceNumber ?? '',
    eventName: r.eventName ?? 'MODIFY',
    ...(r.dynamodb?.NewImage
      ? { newImage: unmarshall(r.dynamodb.NewImage as Record<string, AttributeValue> as never) }
      : {}),
  }));
  const firstFailed = await publishDomainEvents(deps, records);
  if (firstFailed) logger.warn('domain events not published, retrying from', { sequenceNumber: firstFailed });
  return { batchItemFailures: firstFailed ? [{ itemIdentifier: firstFailed }] : [] };
}
