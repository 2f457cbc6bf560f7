import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoComplaintStore } from '../functions/adapters/complaintStore';
import type { Figure } from './report';

/**
 * Raw dynalite PutItem rate, sequential, in the same process and on the same disk as the system under
 * test: the ceiling any intake figure should be read against (BRIEF §5 measured ~700 puts/s).
 */
export async function measurePutItemCeiling(
  endpoint: string,
  tableName: string,
  count = 2000,
): Promise<Figure[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: `BENCH#${i}` }, SK: { S: 'BENCH' }, payload: { S: 'x'.repeat(512) } },
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      benchmark: 'dynalite ceiling',
      metric: 'PutItem/s',
      value: count / seconds,
      unit: 'ops/s',
      conditions: `${count} sequential puts, 512 B`,
    },
  ];
}

/**
 * Raw dynalite rate of the query behind the queue route (the repository's tier-1 queue page, sequential,
 * no API in between): the ceiling the queue route's throughput should be read against.
 */
export async function measureQueueQueryCeiling(
  endpoint: string,
  tableName: string,
  pageSize: number,
  count = 300,
): Promise<Figure[]> {
  const store = new DynamoComplaintStore(tableName, new DynamoDBClient({ endpoint, region: 'us-east-1' }));
  const started = performance.now();
  for (let i = 0; i < count; i++) await store.queue('tier1', { limit: pageSize });
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      benchmark: 'dynalite ceiling',
      metric: 'Query/s',
      value: count / seconds,
      unit: 'ops/s',
      conditions: `${count} sequential queries of one ${pageSize}-item queue page`,
    },
  ];
}
