import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { LocalStartError, lockDataDir } from '../../scripts/local/dataDirLock';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, sendMail, waitFor } from '../../scripts/local/localStackClient';

let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-lock-'));
  stack = await startLocalStack({ dataDir, quiet: true, profile: 'standard' });
});
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Names and sizes of everything under a folder, to prove a refused start wrote nothing. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return Promise.all(entries.sort().map(async (e) => `${e}:${(await stat(join(dir, e))).size}`));
}

describe('one stack per data folder', () => {
  it('refuses a second stack on the same folder at once, and the first keeps its data', async () => {
    await sendMail(stack.endpoints, {
      from: 'lock@example.org',
      subject: 'Stored before the second start',
      text: 'Keep me.',
    });
    await stack.drainIntake();
    const store = new DynamoComplaintStore(
      'Complaints',
      new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
    );
    // Settled: the workflow waits for an agent, so nothing of the first stack writes meanwhile.
    const before = await waitFor(async () => {
      const items = (await store.byCustomer('lock@example.org')).items;
      return items[0]?.status === 'awaiting_agent' ? items : undefined;
    }, 'the complaint to wait for an agent');
    // And its events published, with the stream reader's checkpoint on disk (written within a second).
    await stack.drainEvents();
    await new Promise((r) => setTimeout(r, 500));
    const files = await snapshot(dataDir);

    const started = Date.now();
    const second = await startLocalStack({ dataDir, quiet: true }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(LocalStartError);
    expect((second as Error).message).toMatch(/in use by another local stack \(pid \d+\)/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await snapshot(dataDir)).toEqual(files);

    expect((await store.byCustomer('lock@example.org')).items).toEqual(before);
    const id = before[0]?.id as string;
    const res = await api<{ complaint: { id: string } }>(stack.endpoints, 'GET', `/complaints/${id}`, {
      token: stack.endpoints.tokens.tier1,
    });
    expect(res.body.complaint.id).toBe(id);
  });

  it('takes over the lock of a stack that is gone, and releases it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'complaints-stale-lock-'));
    try {
      // A pid that certainly exited: a child we waited for.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      await writeFile(join(dir, 'stack.lock'), `${dead}\n`);
      const lock = await lockDataDir(dir);
      expect(lock.stale).toBe(true);
      expect((await readFile(join(dir, 'stack.lock'), 'utf8')).trim()).toBe(String(process.pid));
      await expect(lockDataDir(dir)).rejects.toBeInstanceOf(LocalStartError);
      await lock.release();
      const again = await lockDataDir(dir);
      expect(again.stale).toBe(false);
      await again.release();
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
