import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import type { ReportStore } from '../adapters/ports';
import type { Deps } from '../application/deps';
import { projectEvent } from '../application/insights/reports';
import { reportStore } from '../composition/factories/reportStore';
import { lambdaEntry } from '../composition/lambda';
import { parseDomainEvent } from '../core/events/domainEvents';
import { businessCounts } from '../core/reports/businessMetrics';

/**
 * Bus rule target: counts each domain event into the manager reports and (when given a metrics sink)
 * the business metrics, once per event id (EventBridge delivers at least once; its retries, then the
 * rule's dead-letter queue, take failures).
 */
export const createProjector =
  (deps: { reports: ReportStore; clock: () => Date; metrics?: Metrics }) =>
  async (event: Pick<EventBridgeEvent<string, unknown>, 'detail'>): Promise<void> => {
    const domainEvent = parseDomainEvent(event.detail);
    const counted = await projectEvent(deps, domainEvent, deps.clock());
    // An event counted before adds no metric either.
    if (!counted || !deps.metrics) return;
    for (const [name, value] of Object.entries(businessCounts(domainEvent))) {
      deps.metrics.addMetric(name, MetricUnit.Count, value);
    }
    deps.metrics.publishStoredMetrics();
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
