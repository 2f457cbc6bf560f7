import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { sendLeaseOf } from '../../functions/application/customerMail';
import { sendLeaseSeconds } from '../../functions/application/settings';
import { agentEntryId, recordReply } from '../../functions/core/casework';
import type { Complaint } from '../../functions/core/complaint';
import type { Agent } from '../../functions/core/decisions';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';
import { installVirtualClock, type VirtualClock } from '../support/virtualClock';

/**
 * The reply outbox through the local stack: an agent's first reply is recorded (the first response,
 * with the reply's text and send lease) before it is mailed; the first response's domain event reaches
 * the `mailOwedReplies` function through the synthesized rule and queue, which sends the reply owed by a
 * request that died before SES took it, once its lease has run out, and finds the reply a request sent.
 * On a virtual clock, to skip the lease and the queue's visibility timeout.
 */
let stack: LocalStack;
let clock: VirtualClock;
let dataDir: string;
let store: DynamoComplaintStore;
/** Every batch the outbox function answered: the messages it failed on (a reply still leased). */
const answers: { records: number; failed: number; at: number }[] = [];

beforeAll(async () => {
  clock = installVirtualClock();
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-reply-outbox-'));
  stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: 'standard',
    inMemoryDynamoDb: true,
    // The API on the stack's own thread, on the virtual clock (a worker's is the real one).
    apiWorkers: 0,
    wrapEntryHandler: (name, handler) =>
      name !== 'mailOwedReplies'
        ? handler
        : async (event) => {
            const response = (await handler(event)) as SQSBatchResponse;
            answers.push({
              records: (event as { Records: unknown[] }).Records.length,
              failed: response.batchItemFailures.length,
              at: Date.now(),
            });
            return response;
          },
  });
  store = new DynamoComplaintStore(
    'Complaints',
    new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}, 120_000);
afterAll(async () => {
  await stack?.close();
  clock?.uninstall();
  await rm(dataDir, { recursive: true, force: true });
});

const tier1: Agent = { kind: 'agent', id: 'dev-tier1', role: 'tier1' };

/** A new complaint of `customer`, acknowledged and waiting for an agent. */
async function waitingComplaint(customer: string): Promise<Complaint> {
  await sendMail(stack.endpoints, { from: customer, subject: 'Broken kettle', text: 'It leaks.' });
  await waitForMail(stack.endpoints, customer, /received|CMP-/i, 60_000);
  return waitFor(async () => {
    const [found] = (await store.byCustomer(customer, { limit: 1 })).items;
    return found?.status === 'awaiting_agent' ? found : undefined;
  }, 'the complaint waiting for an agent');
}

const repliesTo = async (customer: string, text: string) =>
  (await mailbox(stack.endpoints.mailbox.url)).filter(
    (m) => m.destination.to.includes(customer) && m.body.text?.includes(text),
  );

const replyPost = (complaint: Complaint, text: string) =>
  api<{ entryId: string }>(stack.endpoints, 'POST', `/complaints/${complaint.id}/replies`, {
    token: stack.endpoints.tokens.tier1,
    body: { text, version: complaint.version },
  });

describe('the reply outbox', () => {
  it('finds the reply its request mailed: the customer gets it once', async () => {
    const customer = 'olga@outbox.test';
    const complaint = await waitingComplaint(customer);
    const text = 'A new kettle is on its way.';
    const before = answers.length;
    const posted = await replyPost(complaint, text);
    expect(posted.status).toBe(201);
    await stack.drainEvents();
    // The first response's event reached the outbox, which found the reply sent.
    expect(answers.slice(before)).toEqual([expect.objectContaining({ records: 1, failed: 0 })]);
    expect(await repliesTo(customer, text)).toHaveLength(1);
    const timeline = await store.timeline(complaint.id);
    expect(timeline.filter((e) => e.id === posted.body.entryId)).toHaveLength(1);
  }, 120_000);

  it('mails the reply of a request that died after recording the first response, once', async () => {
    const customer = 'piet@outbox.test';
    const complaint = await waitingComplaint(customer);
    const text = 'We refund the kettle in full.';
    // The request as the route makes it, dying right after its first write: the first response, with
    // the reply's text and the mail's send lease, is committed; SES is never called.
    const now = new Date();
    const entryId = agentEntryId(complaint, 'reply', tier1, complaint.version, text);
    const first = recordReply(complaint, tier1, now, entryId, text);
    if (!first) throw new Error('expected a first response');
    await store.save(first.complaint, [first.audit], {}, sendLeaseOf(entryId, now, sendLeaseSeconds));
    const before = answers.length;

    // The outbox meets the request's lease, still live: the queue will deliver it again.
    const busy = await waitFor(
      async () => answers.slice(before).find((a) => a.failed === 1),
      'the outbox to meet the live lease',
      60_000,
    );
    expect(await repliesTo(customer, text)).toHaveLength(0);
    // A visibility timeout later (past the lease), the outbox takes the lease over and sends.
    clock.skipPast(new Date(busy.at + 60_000));
    const mail = await waitForMail(stack.endpoints, customer, /refund the kettle in full/, 60_000);
    expect(mail.replyTo[0]).toMatch(/^support\+/);
    await stack.drainEvents();
    expect(answers.slice(before).map((a) => a.failed)).toEqual([1, 0]);
    const timeline = await store.timeline(complaint.id);
    expect(timeline.filter((e) => e.id === entryId)).toEqual([
      expect.objectContaining({ kind: 'message', direction: 'outbound', purpose: 'reply' }),
    ]);

    // The agent's same request again answers as the first time and sends nothing more.
    expect((await replyPost(complaint, text)).status).toBe(201);
    await stack.drainEvents();
    expect(await repliesTo(customer, text)).toHaveLength(1);
  }, 180_000);
});
