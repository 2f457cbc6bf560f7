import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { localAwsConfig } from '../../scripts/local/localAws';
import { measureRoute } from '../apiLatency';
import { measureDynamoDbLocalStart, measurePutItemCeiling } from '../dynamoCeiling';
import { measureIntake } from '../intake';
import { measureCorpusIntake, measureDuplicateDelivery } from '../mailIntake';
import type { Figure } from '../report';
import { runSuite, scaled } from '../suite';

/**
 * Intake (simple and corpus mix), the DynamoDB Local ceiling of the same run and its start time,
 * duplicate delivery, API latency.
 */
await runSuite({ profile: 'standard' }, async (stack) => {
  const figures: Figure[] = [];
  figures.push(...(await measureIntake(stack, scaled(500))));
  figures.push(...(await measureCorpusIntake(stack, scaled(500))));
  figures.push(
    ...(await measurePutItemCeiling(stack.endpoints.dynamodb.endpoint, 'Complaints', scaled(2000))),
  );
  figures.push(...(await measureDynamoDbLocalStart()));
  figures.push(...(await measureDuplicateDelivery(stack, scaled(1000), 5)));
  const store = new DynamoComplaintStore(
    'Complaints',
    new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
  );
  const id = (await store.queue('tier1', { limit: 1 })).items[0]?.id as string;
  const url = `${stack.endpoints.api.url}/complaints/${id}`;
  figures.push(
    ...(await measureRoute('GET /complaints/{id}', url, stack.endpoints.tokens.tier1, 100, scaled(10))),
  );
  return figures;
});
