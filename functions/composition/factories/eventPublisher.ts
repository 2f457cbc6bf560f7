import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../adapters/eventBus';
import type { EventPublisher } from '../../adapters/ports';
import { withoutCommandLog } from '../../adapters/sdkClient';
import { required } from '../../application/settings';
import type { AdapterContext } from '../awsAdapters';
import { clientConfig } from '../lambda';

/**
 * Domain events onto the bus named by `EVENT_BUS_NAME`, in every runtime. Imported statically: the one
 * function given it (the stream's publisher) publishes on every invocation.
 */
export const eventPublisher = ({ settings, runtime }: AdapterContext): EventPublisher =>
  new EventBridgePublisher(
    required(settings, 'eventBusName'),
    withoutCommandLog(new EventBridgeClient(clientConfig(runtime, 'eventbridge'))),
  );
