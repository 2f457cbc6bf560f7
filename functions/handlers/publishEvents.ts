import type { Logger } from '@aws-lambda-powertools/logger';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventPublisher } from '../adapters/ports';
import type { Deps } from '../application/deps';
import { type ChangeRecord, publishDomainEvents } from '../application/insights/publishDomainEvents';
import { eventPublisher } from '../composition/factories/eventPublisher';
import { lambdaEntry } from '../composition/lambda';

/**
 * DynamoDB Streams → EventBridge: publishes the domain event of every audit item inserted in the table.
 * A failure is reported as a partial batch failure from the first unpublished record (records are
 * in commit order within a shard), so Lambda retries from there; what still fails goes to the event
 * source's on-failure queue.
 */
export const createPublisher =
  (deps: { bus: EventPublisher; logger: Pick<Logger, 'warn'> }) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records: ChangeRecord[] = event.Records.map((r) => ({
      sequenceNumber: r.dynamodb?.SequenceNumber ?? '',
      eventName: r.eventName ?? 'MODIFY',
      ...(r.dynamodb?.NewImage
        ? { newImage: unmarshall(r.dynamodb.NewImage as Record<string, AttributeValue> as never) }
        : {}),
    }));
    const firstFailed = await publishDomainEvents(deps, records);
    if (firstFailed)
      deps.logger.warn('domain events not published, retrying from', { sequenceNumber: firstFailed });
    return { batchItemFailures: firstFailed ? [{ itemIdentifier: firstFailed }] : [] };
  };

/** The publisher in every runtime: the bus named in the function's settings. */
export const createHandler = (deps: Deps) => createPublisher({ bus: deps.events, logger: deps.logger });

export const { handler, handlerFor } = lambdaEntry(createHandler, ['eventBusName'], {
  events: eventPublisher,
});
