import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { withoutCommandLog } from '../../functions/adapters/sdkClient';

/** A client whose commands are answered by a middleware of the build step: nothing is sent. */
function answeredLocally(logger: { info: () => void }) {
  const client = new DynamoDBClient({
    region: 'eu-central-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined, ...logger },
  });
  client.middlewareStack.add(() => async () => ({ output: { $metadata: {}, Item: {} }, response: {} }), {
    step: 'build',
  });
  return client;
}

describe('SDK clients without the command log', () => {
  const command = () => new GetItemCommand({ TableName: 'Complaints', Key: { PK: { S: 'COMPLAINT#1' } } });

  it('the SDK hands its logger a copy of every command (the cost withoutCommandLog removes)', async () => {
    const info = vi.fn();
    await answeredLocally({ info }).send(command());
    expect(info).toHaveBeenCalledOnce();
  });

  it('builds no copy once the logger middleware is gone, and the command still answers', async () => {
    const info = vi.fn();
    const client = withoutCommandLog(answeredLocally({ info }));
    await expect(client.send(command())).resolves.toMatchObject({ Item: {} });
    expect(info).not.toHaveBeenCalled();
  });
});
