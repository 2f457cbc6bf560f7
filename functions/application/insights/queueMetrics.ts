import type { ComplaintStore } from '../../adapters/ports';
import { agentRoles } from '../../core/policy';
import { addToGauge, type QueueGauge } from '../../core/reports/businessMetrics';

/**
 * Every role's queue now: its depth and the age of its longest-waiting complaint. Reads the queue
 * index page by page (work grows with the complaints waiting, never with the table).
 */
export async function measureQueues(deps: { store: ComplaintStore }, now: Date): Promise<QueueGauge[]> {
  const gauges: QueueGauge[] = [];
  for (const queue of agentRoles) {
    let gauge: QueueGauge = { queue, depth: 0, oldestWaitingSeconds: 0 };
    let cursor: string | undefined;
    do {
      const page = await deps.store.queue(queue, { limit: 100, ...(cursor ? { cursor } : {}) });
      gauge = addToGauge(gauge, page.items, now);
      cursor = page.cursor;
    } while (cursor);
    gauges.push(gauge);
  }
  return gauges;
}
