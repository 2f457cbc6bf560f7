import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStartError } from '../../scripts/local/dataDirLock';
import { javaRequired, startDynamoDbLocal } from '../../scripts/local/dynamoDbLocal';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'complaints-ddblocal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, () => probe.close(() => resolve(false)));
  });

/** How DynamoDB Local starts and fails: each failure is one line a person can act on. */
describe('DynamoDB Local process', () => {
  it('refuses a port that is in use, naming it, without starting a JVM', async () => {
    const other = createServer();
    await new Promise<void>((ok) => other.listen(0, ok));
    const { port } = other.address() as { port: number };
    try {
      const started = Date.now();
      const error = await startDynamoDbLocal({ host: '127.0.0.1', port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LocalStartError);
      expect((error as Error).message).toBe(`DynamoDB Local cannot listen on port ${port}: it is in use`);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      other.close();
    }
  });

  it('says that Java is needed when there is no java on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(startDynamoDbLocal({ host: '127.0.0.1', port: 0 })).rejects.toThrow(javaRequired);
    } finally {
      process.env.PATH = path;
    }
  });

  it('reports a JVM that gives up at start with what it printed', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, '');
    await expect(startDynamoDbLocal({ host: '127.0.0.1', port: 0, path: file })).rejects.toThrow(
      'DynamoDB Local exited (code 0): Invalid directory for database creation.',
    );
  });

  it('frees its port on close', async () => {
    const server = await startDynamoDbLocal({ host: '127.0.0.1', port: 0, path: dir });
    const port = Number(new URL(server.endpoint).port);
    expect(await listening(port)).toBe(true);
    await server.close();
    expect(await listening(port)).toBe(false);
  });
});
