import { join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { startLocalEventBus } from './eventBus/localEventBus';
import type { BusTarget } from './eventBus/targetDelivery';
import type { LambdaHandler } from './localStack';
import { startStreamPoller } from './streamPoller';

export interface LocalInsightsOptions {
  dataDir: string;
  host: string;
  port: number;
  region: string;
  account: string;
  tableName: string;
  /** DynamoDB Local, whose stream the publisher reads. */
  streamEndpoint: string;
  /** The report projector function (its bundle), as the stack's rule targets it. */
  projector: LambdaHandler;
  /** The stream's publisher function (its bundle), which puts the events on this bus. */
  publisher: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  targets: BusTarget[];
  retryDelaysMs?: number[];
}

/** The bus's name, locally and in the stack. */
export const eventBusName = 'ComplaintEvents';

/**
 * The domain-event path, locally: the table's stream (DynamoDB Local) read by the publisher function,
 * which puts the events with the real EventBridge client on a local bus (`<dataDir>/events/`) that
 * delivers to its targets: the report projector function (as the stack's rule targets it), then any
 * others. Both functions are the bundles that deploy; the bus listens before they exist (its endpoint
 * is part of their runtime), so the handlers given here may wait for them.
 */
export async function startLocalInsights(options: LocalInsightsOptions) {
  const logger = { error: (msg: string, extra?: object) => console.error(msg, extra ?? '') };
  const bus = await startLocalEventBus({
    dir: join(options.dataDir, 'events'),
    busName: eventBusName,
    region: options.region,
    account: options.account,
    host: options.host,
    port: options.port,
    targets: [{ name: 'reports', handler: (e) => options.projector(e) }, ...options.targets],
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
