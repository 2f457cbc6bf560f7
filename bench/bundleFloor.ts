import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The floor of the `bundles` suite: a function that only reads its table, the DynamoDB client and the
 * document client's GetCommand that every function holds, built as the functions are. No function can
 * import faster than this while it bundles the SDK.
 */
const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = (event: { id: string }) =>
  table.send(new GetCommand({ TableName: 'Complaints', Key: { pk: event.id } }));
