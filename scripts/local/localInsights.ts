import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../functions/adapters/eventBus';
import type { Deps } from '../../functions/application/deps';
import { createProjector } from '../../functions/handlers/projectReports';
import { createPublisher } from '../../functions/handlers/publishEvents';
import { startLocalEventBus } from './eventBus/localEventBus';
import type { BusTarget } from './eventBus/targetDelivery';
import { localAwsConfig, withoutCommandLog } from './localAws';
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
  /** The stack's dependencies (the report counters, clock and logger of the consumers). */
  deps: Deps;
  targets: BusTarget[];
  retryDelaysMs?: number[];
  /** Wraps the report projector (the benchmark times and attributes its invocations). */
  wrapProjector?: (handler: LambdaHandler) => LambdaHandler;
}

/** The bus's name, locally and in the stack. */
export const eventBusName = 'ComplaintEvents';

/**
 * The domain-event path, locally: the table's stream (DynamoDB Local) read by the same publisher
 * handler Lambda runs on AWS, putting events with the real EventBridge client on a local bus
 * (`<dataDir>/events/`) that delivers to its targets: the report projector (as the stack's rule
 * targets it; no CloudWatch here, so no business metrics), then any others.
 */
export async function startLocalInsights(options: LocalInsightsOptions) {
  const logger = { error: (msg: string, extra?: object) => console.error(msg, extra ?? '') };
  const { deps } = options;
  const projector = createProjector({ reports: deps.reports, clock: deps.clock }) as LambdaHandler;
  const project = options.wrapProjector?.(projector) ?? projector;
  const bus = await startLocalEventBus({
    dir: join(options.dataDir, 'events'),
    busName: eventBusName,
    region: options.region,
    account: options.account,
    host: options.host,
    port: options.port,
    targets: [{ name: 'reports', handler: (e) => project(e) }, ...options.targets],
    ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    logger,
  });
  try {
    const publish = createPublisher({
      bus: new EventBridgePublisher(
        eventBusName,
        withoutCommandLog(new EventBridgeClient(localAwsConfig(bus.endpoint))),
      ),
      logger: deps.logger,
    });
    const poller = await startStreamPoller({
      endpoint: options.streamEndpoint,
      region: options.region,
      tableName: options.tableName,
      checkpointFile: join(options.dataDir, 'events', 'stream-checkpoint.json'),
      handler: publish,
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
