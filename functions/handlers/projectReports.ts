import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ReportStore } from '../adapters/ports';
import type { Deps } from '../application/deps';
import { projectEvents } from '../application/insights/reports';
import { reportStore } from '../composition/factories/reportStore';
import { lambdaEntry } from '../composition/lambda';
import { type DomainEvent, parseDomainEvent } from '../core/events/domainEvents';
import { businessCounts } from '../core/reports/businessMetrics';

/**
 * The report projector: the bus's rule puts every domain event on a queue, and this function takes
 * them in batches (the queue's event source), counting each into the manager reports and (when given a
 * metrics sink) the business metrics, once per event id. A batch's events share their writes
 * (`projectEvents`), so the counters many of them add to are written once per batch. An event that
 * could not be read or written is a partial batch failure: the queue delivers it again, and after its
 * receives are spent moves it to the dead-letter queue, which raises an alarm.
 */
export const createProjector =
  (deps: { reports: ReportStore; clock: () => Date; logger: Pick<Logger, 'error'>; metrics?: Metrics }) =>
  async (batch: SQSEvent): Promise<SQSBatchResponse> => {
    const failed: string[] = [];
    const read: { messageId: string; event: DomainEvent }[] = [];
    for (const record of batch.Records) {
      try {
        // The message is the EventBridge event the rule matched; its detail is the domain event.
        read.push({ messageId: record.messageId, event: parseDomainEvent(JSON.parse(record.body).detail) });
      } catch (error) {
        deps.logger.error('unreadable domain event', { messageId: record.messageId, error });
        failed.push(record.messageId);
      }
    }
    const outcomes = await projectEvents(
      deps,
      read.map((r) => r.event),
      deps.clock(),
    );
    const counts: Record<string, number> = {};
    outcomes.forEach((outcome, i) => {
      const { messageId, event } = read[i] as (typeof read)[number];
      if ('error' in outcome) {
        deps.logger.error('domain event not counted', { eventId: event.eventId, error: outcome.error });
        failed.push(messageId);
        return;
      }
      // An event counted before adds no metric either.
      if (!outcome.counted) return;
      for (const [name, value] of Object.entries(businessCounts(event)))
        counts[name] = (counts[name] ?? 0) + value;
    });
    if (deps.metrics && Object.keys(counts).length > 0) {
      for (const [name, value] of Object.entries(counts))
        deps.metrics.addMetric(name, MetricUnit.Count, value);
      deps.metrics.publishStoredMetrics();
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

/**
 * The counts are also CloudWatch metrics (embedded metric format, in the function's log) where the
 * function is given their namespace (`BUSINESS_METRICS_NAMESPACE`: the stack sets it).
 */
export const createHandler = (deps: Deps) => {
  const namespace = deps.settings.businessMetricsNamespace;
  return createProjector({
    ...deps,
    ...(namespace ? { metrics: new Metrics({ namespace, serviceName: deps.settings.serviceName }) } : {}),
  });
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { reports: reportStore });
