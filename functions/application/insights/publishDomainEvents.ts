import type { EventPublisher } from '../../adapters/ports';
import type { AuditEntry } from '../../core/complaint';
import type { DomainEvent } from '../../core/events/domainEvents';
import { domainEventOf } from '../../core/events/fromAudit';

/** One change record of the table's stream, reduced to what the publisher reads. */
export interface ChangeRecord {
  /** The stream's sequence number (what a partial batch failure reports). */
  sequenceNumber: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The new image of the item, unmarshalled. */
  newImage?: Record<string, unknown>;
}

/**
 * The domain event a change record carries, if any: only the insertion of an audit item (audit items
 * are written once, in the transaction of their state change; an erasure's rewrite is a MODIFY).
 */
export function eventOfRecord(record: ChangeRecord): DomainEvent | undefined {
  const item = record.newImage;
  if (record.eventName !== 'INSERT' || !item || item.entity !== 'timeline' || item.kind !== 'audit') {
    return undefined;
  }
  const pk = String(item.PK ?? '');
  if (!pk.startsWith('COMPLAINT#')) return undefined;
  const { PK: _pk, SK: _sk, entity: _e, ...audit } = item;
  return domainEventOf(pk.slice('COMPLAINT#'.length), audit as unknown as AuditEntry);
}

/**
 * Publishes the domain events of a batch of change records, in stream order. Returns the sequence
 * number of the first record whose event the bus did not take (the partial batch failure Lambda
 * resumes from: that record and every later one are delivered again, with the same event ids), or
 * undefined when the whole batch is published.
 */
export async function publishDomainEvents(
  deps: { bus: EventPublisher },
  records: ChangeRecord[],
): Promise<string | undefined> {
  const pending = records.flatMap((r) => {
    const event = eventOfRecord(r);
    return event ? [{ record: r, event }] : [];
  });
  if (pending.length === 0) return undefined;
  const { failed } = await deps.bus.publish(pending.map((p) => p.event));
  if (failed.length === 0) return undefined;
  const failedIds = new Set(failed.map((e) => e.eventId));
  return pending.find((p) => failedIds.has(p.event.eventId))?.record.sequenceNumber;
}
