import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncInvocations } from '../../scripts/local/asyncInvocations';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalLambda, startLocalLambda } from '../../scripts/local/localLambda';

/**
 * The local Lambda Invoke endpoint as the real `@aws-sdk/client-lambda` sees it: an asynchronous
 * invocation answered 202 once the function's queue holds the event, AWS's error types otherwise.
 */
let lambda: LocalLambda;
let client: LambdaClient;
const queued: { id: string; event: unknown }[] = [];
const intake: AsyncInvocations<unknown> = {
  invoke: async (id, event) => {
    queued.push({ id, event });
  },
  drain: async () => undefined,
};

beforeAll(async () => {
  lambda = await startLocalLambda({ functions: { IntakeFn: intake }, host: '127.0.0.1', port: 0 });
  client = new LambdaClient({ ...localAwsConfig(lambda.endpoint), maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await lambda?.close();
});

const payload = (event: unknown) => new TextEncoder().encode(JSON.stringify(event));

describe('local Lambda Invoke', () => {
  it('queues an asynchronous invocation, by name or by ARN, and answers 202', async () => {
    const event = { quarantineRelease: { id: '0'.repeat(26) } };
    const byName = await client.send(
      new InvokeCommand({ FunctionName: 'IntakeFn', InvocationType: 'Event', Payload: payload(event) }),
    );
    const byArn = await client.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:IntakeFn',
        InvocationType: 'Event',
        Payload: payload(event),
      }),
    );
    expect([byName.StatusCode, byArn.StatusCode]).toEqual([202, 202]);
    expect(queued.map((q) => q.event)).toEqual([event, event]);
    expect(new Set(queued.map((q) => q.id)).size).toBe(2);
  });

  it('answers ResourceNotFoundException for an unknown function', async () => {
    const invoke = client.send(new InvokeCommand({ FunctionName: 'Nope', InvocationType: 'Event' }));
    await expect(invoke).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses the invocation types it does not emulate, and a payload that is no JSON', async () => {
    await expect(client.send(new InvokeCommand({ FunctionName: 'IntakeFn' }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      client.send(
        new InvokeCommand({
          FunctionName: 'IntakeFn',
          InvocationType: 'Event',
          Payload: new TextEncoder().encode('{not json'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestContentException' });
  });
});
