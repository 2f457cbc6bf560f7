import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { withoutCommandLog } from '../functions/adapters/sdkClient';
import { Sha256 } from '../functions/adapters/sha256';
import type { Figure } from './report';

/** A GetItem answer as DynamoDB sends it: a complaint item of about 1 KB. */
const answer = Buffer.from(
  JSON.stringify({
    Item: {
      PK: { S: 'COMPLAINT#01jd2f0c9w8q6m3t5v7x9z1b3d' },
      SK: { S: 'META' },
      status: { S: 'awaiting_agent' },
      version: { N: '4' },
      subject: { S: 'Order 4411 arrived damaged' },
      summary: { S: 'x'.repeat(800) },
    },
  }),
);

/**
 * A DynamoDB client whose requests are answered in-process after they are signed: what is measured is
 * the client's own work per request (serialising, signing, parsing the answer), which every function
 * pays on Lambda as locally, without a network or a database in the figure.
 */
function answeredInProcess(config: Record<string, unknown>) {
  return withoutCommandLog(
    new DynamoDBClient({
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      ...config,
      requestHandler: {
        handle: async () => ({
          response: {
            statusCode: 200,
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'content-length': String(answer.length),
            },
            body: Readable.from([answer]),
          },
        }),
      },
    }),
  );
}

/** CPU microseconds per request of `count` GetItems sent one after another (after as many unmeasured). */
async function cpuPerRequest(client: DynamoDBClient, count: number): Promise<number> {
  const command = () =>
    new GetItemCommand({ TableName: 'Complaints', Key: { PK: { S: 'COMPLAINT#1' }, SK: { S: 'META' } } });
  for (let i = 0; i < count; i++) await client.send(command());
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await client.send(command());
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/**
 * The SDK client's CPU per DynamoDB request with the SDK's own SHA-256 and with the functions' `Sha256`
 * (HMAC keys made once), alternated three times, the median of each: the part of every request's CPU
 * the signing key's handling took.
 */
export async function measureSdkRequestCpu(count = 5000): Promise<Figure[]> {
  const sdk: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 3; round++) {
    sdk.push(await cpuPerRequest(answeredInProcess({}), count));
    ours.push(await cpuPerRequest(answeredInProcess({ sha256: Sha256 }), count));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] as number;
  const conditions = `${count} GetItems answered in-process, one at a time, median of 3 rounds (${process.version})`;
  return [
    {
      benchmark: 'SDK client per DynamoDB request',
      metric: 'CPU, the SDK’s SHA-256',
      value: median(sdk),
      unit: 'µs',
      conditions,
    },
    {
      benchmark: 'SDK client per DynamoDB request',
      metric: 'CPU, Sha256 (keys made once)',
      value: median(ours),
      unit: 'µs',
      conditions,
    },
  ];
}
