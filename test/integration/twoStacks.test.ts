import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, executionNames, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';

/**
 * The local stack is a composition root like a Lambda's: it builds the handlers' dependencies itself and
 * changes nothing process-wide, so two stacks run side by side in one process and each files only its
 * own mail, with its own table, state machine and settings (mail domain). The mailbox is the one part
 * they share: aws-ses-v2-local keeps sent mail in module state (scripts/local/localSes.ts).
 */
const stacks: { stack: LocalStack; dataDir: string; domain: string; customer: string }[] = [];

beforeAll(async () => {
  for (const name of ['north', 'south']) {
    const dataDir = await mkdtemp(join(tmpdir(), `complaints-two-${name}-`));
    const domain = `${name}.example`;
    const stack = await startLocalStack({ dataDir, quiet: true, mailDomain: domain, inMemoryDynamoDb: true });
    stacks.push({ stack, dataDir, domain, customer: `${name}.customer@example.org` });
  }
}, 240_000);
afterAll(async () => {
  for (const { stack, dataDir } of stacks) {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

it('runs two stacks in one process, each filing only its own mail', async () => {
  for (const { stack, customer } of stacks) {
    await sendMail(stack.endpoints, { from: customer, subject: 'Parcel late', text: 'Order 1 is late.' });
  }
  for (const { stack, domain, customer } of stacks) {
    const ack = await waitForMail(stack.endpoints, customer, /CMP-[0-9A-Z]{6}/);
    // Sent by this stack's handlers, with this stack's settings.
    expect(ack.replyTo[0]).toMatch(new RegExp(`^support\\+[\\w-]+@${domain.replace('.', '\\.')}$`));
    // In the tier-1 queue once investigated.
    const queue = await waitFor(async () => {
      const listed = await api<{ items: { customerEmail: string }[] }>(
        stack.endpoints,
        'GET',
        '/complaints',
        {
          token: stack.endpoints.tokens.tier1,
        },
      );
      return listed.body.items.length > 0 ? listed.body.items : undefined;
    }, 'the complaint in the queue');
    expect(queue.map((c) => c.customerEmail)).toEqual([customer]);
    expect(await executionNames(stack.endpoints)).toHaveLength(1);
  }
});
