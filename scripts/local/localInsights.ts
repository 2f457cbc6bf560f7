import { join } from 'node:path';
import { startLocalEventBus } from './eventBus/localEventBus';
import type { BusTarget } from './eventBus/targetDelivery';
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
  targets: BusTarget[];
  retryDelaysMs?: number[];
}

/** The bus's name, locally and in the stack. */
export const eventBusName = 'ComplaintEvents';

/**
 * The domain-event path, locally: the table's stream (DynamoDB Local) read by the same publisher handler
 * Lambda runs on AWS, putting events on a local EventBridge bus (`<dataDir>/events/`) that delivers to
 * its targets: the reports consumer, then any others. Sets the publisher's environment (bus name, EventBridge endpoint) before loading it.
 */
export async function startLocalInsights(options: LocalInsightsOptions) {
  const logger = { error: (msg: string, extra?: object) => console.error(msg, extra ?? '') };
  process.env.EVENT_BUS_NAME = eventBusName;
  // No CloudWatch locally: the business metrics (embedded metric format log lines) stay off unless asked for.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // The reports consumer, as the stack's rule targets it on AWS (an in-process Lambda here).
  const reports = await import('../../functions/handlers/projectReports');
  const bus = await startLocalEventBus({
    dir: join(options.dataDir, 'events'),
    busName: eventBusName,
    region: options.region,
    account: options.account,
    host: options.host,
    port: options.port,
    targets: [{ name: 'reports', handler: (e) => reports.handler(e as never) }, ...options.targets],
    ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    logger,
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  try {
    const publisher = await import('../../functions/handlers/publishEvents');
    const poller = await startStreamPoller({
      endpoint: options.streamEndpoint,
      region: options.region,
      tableName: options.tableName,
      checkpointFile: join(options.dataDir, 'events', 'stream-checkpoint.json'),
      handler: publisher.handler,
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
