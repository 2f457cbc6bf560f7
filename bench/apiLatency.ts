import autocannon from 'autocannon';
import type { Figure } from './report';

/** Latency of one API route at a fixed request rate (autocannon, constant arrival rate). */
export async function measureRoute(
  name: string,
  url: string,
  token: string,
  rate: number,
  durationSeconds: number,
): Promise<Figure[]> {
  const result = await autocannon({
    url,
    connections: 20,
    overallRate: rate,
    duration: durationSeconds,
    headers: { authorization: `Bearer ${token}` },
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  const conditions = `${rate} req/s for ${durationSeconds} s`;
  return [
    { benchmark: name, metric: 'p50 latency', value: result.latency.p50, unit: 'ms', conditions },
    { benchmark: name, metric: 'p99 latency', value: result.latency.p99, unit: 'ms', conditions },
    { benchmark: name, metric: 'throughput', value: result.requests.average, unit: 'req/s', conditions },
    { benchmark: name, metric: 'errors (non-2xx, timeouts)', value: errors, unit: 'count', conditions },
  ];
}
