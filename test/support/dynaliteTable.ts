import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ensureTable } from '../../scripts/local/createTable';

/** An in-memory dynalite with the complaints table (same keys and indexes as CDK), for adapter tests. */
export async function startDynaliteTable(): Promise<{ client: DynamoDBClient; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(client, 'Complaints');
  return { client, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}
