import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { ensureTable } from './scripts/local/createTable';

const dir = await mkdtemp(join(tmpdir(), 'dyn-'));
const server = dynalite({ path: dir, createTableMs: 0 });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as { port: number }).port;
const client = new DynamoDBClient({
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
await ensureTable(client, 'Complaints');
const db = DynamoDBDocumentClient.from(client);
const filler = {
  subject: 'Late order',
  status: 'awaiting_agent',
  investigation: {
    category: 'delivery',
    notes: 'x'.repeat(600),
    signals: [
      { a: 1, b: 'two' },
      { a: 2, b: 'three' },
    ],
  },
  priority: 'normal',
  tier: 'tier1',
  version: 4,
};
for (let b = 0; b < 40; b++) {
  const items = Array.from({ length: 25 }, (_, i) => {
    const id = `${b}-${i}`;
    const due = new Date(Date.now() + (b * 25 + i) * 1000).toISOString();
    return {
      PutRequest: {
        Item: {
          PK: `COMPLAINT#${id}`,
          SK: 'META',
          id,
          ...filler,
          GSI2PK: 'QUEUE#tier1',
          GSI2SK: `${due}#${id}`,
        },
      },
    };
  });
  await db.send(new BatchWriteCommand({ RequestItems: { Complaints: items } }));
}
const t = performance.now();
for (let i = 0; i < 300; i++) {
  await db.send(
    new QueryCommand({
      TableName: 'Complaints',
      IndexName: 'queue',
      KeyConditionExpression: 'GSI2PK = :k',
      ExpressionAttributeValues: { ':k': 'QUEUE#tier1' },
      Limit: 50,
    }),
  );
}
console.log('per query', ((performance.now() - t) / 300).toFixed(2), 'ms');
server.close();
process.exit(0);
