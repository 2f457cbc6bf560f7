import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../scripts/local/createTable';
import { startDynamoDbLocal } from '../../scripts/local/dynamoDbLocal';

/** An in-memory DynamoDB Local with the complaints table (same keys and indexes as CDK), for adapter tests. */
export async function startDynamoDbLocalTable(): Promise<{ client: DynamoDBClient; close(): Promise<void> }> {
  const server = await startDynamoDbLocal({ host: '127.0.0.1', port: 0 });
  // -sharedDb: the region and credentials only have to be present for the SDK to sign.
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, 'Complaints');
  return {
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * The DynamoDB requests `client` makes from now on, by command name (`GetItem`, `TransactWriteItems`;
 * the document client shares the client's middleware): empty it before what a test counts.
 */
export function countedRequests(client: DynamoDBClient): string[] {
  const requests: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      requests.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return requests;
}
