import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../scripts/local/localStack';
import { measureRoute } from './apiLatency';
import { measurePutItemCeiling } from './dynamoCeiling';
import { measureIntake } from './intake';
import { measureCorpusIntake, measureDuplicateDelivery } from './mailIntake';
import { type Figure, printReport } from './report';

/**
 * `npm run bench`: starts a fresh local stack in a temp folder and measures the figures the issues ask
 * for. Prints a table and JSON. Sizes can be scaled down with BENCH_SCALE (e.g. 0.2) for a quick look.
 */
const scale = Number(process.env.BENCH_SCALE ?? '1');
const n = (v: number) => Math.max(1, Math.round(v * scale));

const dataDir = await mkdtemp(join(tmpdir(), 'complaints-bench-'));
const stack = await startLocalStack({ dataDir, quiet: true, profile: 'standard' });
const figures: Figure[] = [];
try {
  figures.push(...(await measureIntake(stack, n(500))));
  figures.push(...(await measureCorpusIntake(stack, n(500))));
  figures.push(...(await measurePutItemCeiling(stack.endpoints.dynamodb.endpoint, 'Complaints', n(2000))));
  figures.push(...(await measureDuplicateDelivery(stack, n(1000), 5)));

  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.endpoints.dynamodb.endpoint }));
  const queue = await db.send(
    new QueryCommand({
      TableName: 'Complaints',
      IndexName: 'queue',
      KeyConditionExpression: 'GSI2PK = :k',
      ExpressionAttributeValues: { ':k': 'QUEUE#tier1' },
      Limit: 1,
    }),
  );
  const id = queue.Items?.[0]?.id as string;
  figures.push(
    ...(await measureRoute(
      'GET /complaints/{id}',
      `${stack.endpoints.api.url}/complaints/${id}`,
      stack.endpoints.tokens.tier1,
      100,
      n(10),
    )),
  );
} finally {
  await stack.close();
  await rm(dataDir, { recursive: true, force: true });
}
printReport(figures, {
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  scale,
  at: new Date().toISOString(),
});
