import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Deps } from '../application/deps';
import { measureQueues } from '../application/insights/queueMetrics';
import { complaintStore } from '../composition/factories/complaintStore';
import { lambdaEntry } from '../composition/lambda';
import { businessNamespace } from '../core/reports/businessMetrics';

/**
 * Scheduled every five minutes: queue depth and the age of the oldest waiting complaint per queue, as
 * CloudWatch metrics in the embedded metric format (log lines, no PutMetricData call).
 */
export const createHandler = (deps: Deps) => {
  const metrics = new Metrics({ namespace: businessNamespace, serviceName: deps.settings.serviceName });
  return async (): Promise<void> => {
    for (const gauge of await measureQueues(deps, deps.clock())) {
      const single = metrics.singleMetric();
      single.addDimension('queue', gauge.queue);
      single.addMetric('QueueDepth', MetricUnit.Count, gauge.depth);
      single.addMetric('OldestWaitingSeconds', MetricUnit.Seconds, gauge.oldestWaitingSeconds);
    }
  };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { store: complaintStore });
