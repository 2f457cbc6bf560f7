import { createHash, createHmac } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sha256 } from '../../functions/adapters/sha256';
import { clientConfig } from '../../functions/composition/lambda';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const digestOf = async (
  secret: ConstructorParameters<typeof Sha256>[0],
  ...data: (string | Uint8Array)[]
) => {
  const hash = new Sha256(secret);
  for (const d of data) hash.update(d);
  return hex(await hash.digest());
};

describe('Sha256 (the SDK clients’ hash, HMAC keys made once)', () => {
  it('hashes as node:crypto does, whatever the data is given as', async () => {
    const expected = createHash('sha256').update('complaint body').digest('hex');
    expect(await digestOf(undefined, 'complaint ', 'body')).toBe(expected);
    expect(await digestOf(undefined, new TextEncoder().encode('complaint body'))).toBe(expected);
    const hash = new Sha256();
    hash.update(new TextEncoder().encode('complaint body').buffer);
    expect(hex(await hash.digest())).toBe(expected);
    // An empty string is no key, as for the SDK's own hash.
    expect(await digestOf('', 'complaint body')).toBe(expected);
  });

  it('keys HMACs as node:crypto does: strings, byte arrays, parts of a buffer, array buffers', async () => {
    const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const expected = (k: string | Buffer, data: string) => createHmac('sha256', k).update(data).digest('hex');
    expect(await digestOf('AWS4secret', '20261201')).toBe(expected('AWS4secret', '20261201'));
    expect(await digestOf('clé', 'x')).toBe(expected(Buffer.from('clé', 'utf8'), 'x'));
    expect(await digestOf(new Uint8Array(key), 'x')).toBe(expected(key, 'x'));
    const padded = Buffer.concat([Buffer.from('ffff', 'hex'), key]);
    expect(await digestOf(padded.subarray(2), 'x')).toBe(expected(key, 'x'));
    expect(await digestOf(key.buffer.slice(key.byteOffset, key.byteOffset + key.length), 'x')).toBe(
      expected(key, 'x'),
    );
  });

  it('reuses a key for the next HMAC with it, and tells keys apart', async () => {
    const signingKey = new Uint8Array(32).fill(7);
    const other = new Uint8Array(32).fill(8);
    for (const data of ['first request', 'second request']) {
      expect(await digestOf(signingKey, data)).toBe(
        createHmac('sha256', signingKey).update(data).digest('hex'),
      );
      expect(await digestOf(other, data)).toBe(createHmac('sha256', other).update(data).digest('hex'));
    }
    for (let i = 0; i < 40; i++) {
      // More string secrets than it keeps: each still keys its own HMAC.
      expect(await digestOf(`secret-${i}`, 'x')).toBe(
        createHmac('sha256', `secret-${i}`).update('x').digest('hex'),
      );
    }
  });

  it('goes on after a digest (a hash) and starts again on reset', async () => {
    const hash = new Sha256();
    hash.update('a');
    expect(hex(await hash.digest())).toBe(createHash('sha256').update('a').digest('hex'));
    hash.update('b');
    expect(hex(await hash.digest())).toBe(createHash('sha256').update('ab').digest('hex'));
    hash.reset();
    hash.update('c');
    expect(hex(await hash.digest())).toBe(createHash('sha256').update('c').digest('hex'));
  });

  describe('signing', () => {
    afterEach(() => vi.useRealTimers());

    /** The Authorization header of a GetItem signed by a client with `config`; nothing is sent. */
    async function authorizationOf(config: Record<string, unknown>) {
      let authorization: string | undefined;
      const client = new DynamoDBClient({
        region: 'eu-central-1',
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        },
        ...config,
        requestHandler: {
          handle: async (request: { headers: Record<string, string> }) => {
            authorization = request.headers.authorization;
            throw new Error('not sent');
          },
        },
        maxAttempts: 1,
      });
      // Every request carries a random invocation id, which is signed: the same one for both.
      const sameInvocationId =
        (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) =>
        async (args: { request: { headers: Record<string, string> } }) => {
          args.request.headers['amz-sdk-invocation-id'] = '00000000-0000-4000-8000-000000000000';
          return next(args);
        };
      client.middlewareStack.addRelativeTo(
        sameInvocationId as unknown as Parameters<typeof client.middlewareStack.addRelativeTo>[0],
        { relation: 'before', toMiddleware: 'httpSigningMiddleware' },
      );
      await expect(
        client.send(new GetItemCommand({ TableName: 'Complaints', Key: { PK: { S: 'COMPLAINT#1' } } })),
      ).rejects.toThrow('not sent');
      return authorization;
    }

    it('signs every client built from clientConfig as the SDK’s own hash does', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
      const config = clientConfig({ env: {} }, 'dynamodb');
      expect(config.sha256).toBe(Sha256);
      const ours = await authorizationOf(config);
      expect(ours).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261201\/eu-central-1\/dynamodb/);
      expect(ours).toBe(await authorizationOf({}));
    });
  });
});
