import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type DomainEvent, eventSource } from '../core/events/domainEvents';
import type { EventPublisher } from './ports';
import { withoutCommandLog } from './sdkClient';

/** PutEvents takes at most 10 entries per call. */
const maxEntries = 10;

/**
 * Publishes domain events on an EventBridge bus: source `complaints`, detail type = event type, the
 * event as detail. EventBridge may accept some entries of a call and fail others; the failed ones are
 * reported, never dropped.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName: string,
    private readonly client = withoutCommandLog(new EventBridgeClient({})),
  ) {}

  async publish(events: DomainEvent[]): Promise<{ failed: DomainEvent[] }> {
    const failed: DomainEvent[] = [];
    for (let i = 0; i < events.length; i += maxEntries) {
      const chunk = events.slice(i, i + maxEntries);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: this.busName,
            Source: eventSource,
            DetailType: e.type,
            Detail: JSON.stringify(e),
            Time: new Date(e.occurredAt),
            Resources: [],
          })),
        }),
      );
      // Entries answer in request order; an entry with an ErrorCode was not put.
      (out.Entries ?? []).forEach((entry, k) => {
        if (entry.ErrorCode && chunk[k]) failed.push(chunk[k]);
      });
    }
    return { failed };
  }
}
