import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { localAwsConfig } from '../../scripts/local/localAws';
import { measureRoute } from '../apiLatency';
import { measureDynamoDbLocalStart, measurePutItemCeiling } from '../dynamoCeiling';
import { measureIntake } from '../intake';
import { measureCorpusIntake, measureDuplicateDelivery } from '../mailIntake';
import type { Figure } from '../report';
import { progress, runSuite, scaled } from '../suite';

/**
 * Intake (simple and corpus mix) with its DynamoDB requests counted and its implied ceiling, the
 * DynamoDB Local ceiling of the same run and its start time, duplicate delivery, API latency.
 */
await runSuite({ profile: 'standard' }, async (stack, meter) => {
  const figures: Figure[] = [];
  progress('intake');
  figures.push(...(await measureIntake(stack, meter, scaled(500))));
  progress('corpus-mix intake');
  figures.push(...(await measureCorpusIntake(stack, scaled(500))));
  progress('DynamoDB Local ceiling');
  figures.push(
    ...(await measurePutItemCeiling(stack.endpoints.dynamodb.endpoint, 'Complaints', scaled(2000))),
  );
  figures.push(...(await measureDynamoDbLocalStart()));
  progress('duplicate delivery');
  figures.push(...(await measureDuplicateDelivery(stack, scaled(1000), 5)));
  const store = new DynamoComplaintStore(
    'Complaints',
    new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
  );
  const id = (await store.queue('tier1', { limit: 1 })).items[0]?.id as string;
  const url = `${stack.endpoints.api.url}/complaints/${id}`;
  // The complaints filed above are still on their way to their first wait: measured in the middle of
  // that backlog, the route's tail was the backlog's (p99 0.9 s at p50 10 ms).
  progress('waiting for the workflows to reach their waits');
  await meter.settled(1000, 600_000);
  progress('GET /complaints/{id} at 100 req/s');
  figures.push(
    ...(await measureRoute('GET /complaints/{id}', url, stack.endpoints.tokens.tier1, 100, scaled(10))),
  );
  return figures;
});
