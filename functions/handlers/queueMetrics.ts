import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoComplaintStore } from '../adapters/complaintStore';
import { measureQueues } from '../application/insights/queueMetrics';
import { businessNamespace } from '../core/reports/businessMetrics';
import { config } from '../shared/config';

const metrics = new Metrics({ namespace: businessNamespace, serviceName: 'complaints' });
const store = new DynamoComplaintStore(config().tableName);

/**
 * Scheduled every five minutes: queue depth and the age of the oldest waiting complaint per queue, as
 * CloudWatch metrics in the embedded metric format (one log line each, no PutMetricData call).
 */
export async function handler() {
  for (const gauge of await measureQueues({ store }, new Date())) {
    const single = metrics.singleMetric();
    single.addDimension('queue', gauge.queue);
    single.addMetric('QueueDepth', MetricUnit.Count, gauge.depth);
    single.addMetric('OldestWaitingSeconds', MetricUnit.Seconds, gauge.oldestWaitingSeconds);
  }
  metrics.publishStoredMetrics();
}
