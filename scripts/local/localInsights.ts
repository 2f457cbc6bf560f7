import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BusEvent } from './eventBus/eventLog';
import { startLocalEventBus } from './eventBus/localEventBus';
import type { BusTarget } from './eventBus/targetDelivery';
import type { LambdaHandler } from './localStack';
import { startStreamPoller } from './streamPoller';
import { matchesEventPattern, type QueueBatching, type QueueConsumer } from './synthesizedWorkflow';

export interface LocalInsightsOptions {
  dataDir: string;
  host: string;
  port: number;
  region: string;
  account: string;
  tableName: string;
  /** DynamoDB Local, whose stream the publisher reads. */
  streamEndpoint: string;
  /** The report projector function (its bundle), which the stack's rule reaches through a queue. */
  projector: LambdaHandler;
  /** How the projector's event source takes that queue (from the synthesized stack). */
  projectorBatching: QueueBatching;
  /** The reply outbox's function (its bundle), which the stack's rule reaches through a queue of its own. */
  owedReplyMailer: LambdaHandler;
  /** That queue, its rule and event source (from the synthesized stack). */
  owedReplies: QueueConsumer;
  /** The stream's publisher function (its bundle), which puts the events on this bus. */
  publisher: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  targets: BusTarget[];
  retryDelaysMs?: number[];
}

/**
 * The events as Lambda's SQS event source hands them over when the rule puts them on a queue: one
 * record per event, its body the EventBridge event, its message id the event's (unique per put).
 */
export function sqsEventOf(
  events: BusEvent[],
  attempt: number,
  where: { region: string; account: string },
  queueName = 'ProjectionQueue',
): SQSEvent {
  return {
    Records: events.map((event) => {
      const body = JSON.stringify(event);
      return {
        messageId: event.id,
        receiptHandle: `${event.id}#${attempt}`,
        body,
        attributes: {
          ApproximateReceiveCount: String(attempt),
          SentTimestamp: String(Date.parse(event.time)),
          SenderId: 'events.amazonaws.com',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${where.region}:${where.account}:${queueName}`,
        awsRegion: where.region,
      };
    }),
  };
}

/** The bus's name, locally and in the stack. */
export const eventBusName = 'ComplaintEvents';

/**
 * The domain-event path, locally: the table's stream (DynamoDB Local) read by the publisher function,
 * which puts the events with the real EventBridge client on a local bus (`<dataDir>/events/`) that
 * delivers to its targets: the report projector function (in batches, as the stack's queue and its
 * event source hand them over), then any others. Both functions are the bundles that deploy; the bus
 * listens before they exist (its endpoint is part of their runtime), so the handlers given here may
 * wait for them.
 */
export async function startLocalInsights(options: LocalInsightsOptions) {
  const logger = { error: (msg: string, extra?: object) => console.error(msg, extra ?? '') };
  /** A function behind a queue of the bus's rule: it names the messages it failed on (partial batch failure). */
  const queueBatch = (
    batching: QueueBatching,
    handler: LambdaHandler,
    queueName: string,
  ): NonNullable<BusTarget['batch']> => ({
    size: batching.batchSize,
    windowMs: batching.windowMs,
    handler: async (events, attempt) => {
      const response = (await handler(sqsEventOf(events, attempt, options, queueName))) as
        | SQSBatchResponse
        | undefined;
      return { failed: (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier) };
    },
  });
  const bus = await startLocalEventBus({
    dir: join(options.dataDir, 'events'),
    busName: eventBusName,
    region: options.region,
    account: options.account,
    host: options.host,
    port: options.port,
    targets: [
      {
        name: 'reports',
        batch: queueBatch(options.projectorBatching, options.projector, 'ProjectionQueue'),
      },
      {
        // The reply outbox: its rule's pattern, and a message failed on is received again a visibility
        // timeout later (longer than the send lease it waits out), as the stack's queue does.
        name: 'owedReplies',
        matches: (event) => matchesEventPattern(options.owedReplies.eventPattern, event),
        retryDelaysMs: options.owedReplies.retryDelaysMs,
        batch: queueBatch(options.owedReplies.batching, options.owedReplyMailer, 'OwedReplyQueue'),
      },
      ...options.targets,
    ],
    ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    logger,
  });
  try {
    const poller = await startStreamPoller({
      endpoint: options.streamEndpoint,
      region: options.region,
      tableName: options.tableName,
      checkpointFile: join(options.dataDir, 'events', 'stream-checkpoint.json'),
      handler: options.publisher,
      logger,
    });
    return {
      endpoint: bus.endpoint,
      busName: eventBusName,
      events: bus.events,
      drain: async () => {
        await poller.drain();
        await bus.drain();
      },
      close: async () => {
        await poller.close();
        await bus.close();
      },
    };
  } catch (e) {
    await bus.close();
    throw e;
  }
}
