import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoReportStore } from '../adapters/reportStore';
import { projectEvent } from '../application/insights/reports';
import { parseDomainEvent } from '../core/events/domainEvents';
import { businessCounts, businessNamespace } from '../core/reports/businessMetrics';
import { config } from '../shared/config';

const deps = { reports: new DynamoReportStore(config().tableName) };
const metrics = new Metrics({ namespace: businessNamespace, serviceName: 'complaints' });

/**
 * EventBridge rule target: counts each domain event into the manager reports and the business metrics,
 * once per event id (EventBridge delivers at least once; its retries, then the rule's dead-letter queue,
 * take failures).
 */
export async function handler(event: EventBridgeEvent<string, unknown>) {
  const domainEvent = parseDomainEvent(event.detail);
  const counted = await projectEvent(deps, domainEvent, new Date());
  // Business metrics (embedded metric format) with the reports: an event counted before adds nothing.
  if (!counted) return;
  for (const [name, value] of Object.entries(businessCounts(domainEvent))) {
    metrics.addMetric(name, MetricUnit.Count, value);
  }
  metrics.publishStoredMetrics();
}
