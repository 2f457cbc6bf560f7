import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoReportStore } from '../adapters/reportStore';
import { projectEvent } from '../application/insights/reports';
import { parseDomainEvent } from '../core/events/domainEvents';
import { config } from '../shared/config';

const deps = { reports: new DynamoReportStore(config().tableName) };

/**
 * EventBridge rule target: counts each domain event into the manager reports, once per event id
 * (EventBridge delivers at least once; its retries, then the rule's dead-letter queue, take failures).
 */
export async function handler(event: EventBridgeEvent<string, unknown>) {
  await projectEvent(deps, parseDomainEvent(event.detail), new Date());
}
