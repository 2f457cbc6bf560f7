import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import { buildDeps } from '../../functions/composition/buildDeps';
import type { AuditEntry, Complaint, MessageEntry } from '../../functions/core/complaint';
import type { QuarantinedMail } from '../../functions/core/mail/filing';
import { parseInboundMail } from '../../functions/core/mail/inboundMail';
import { createHandler } from '../../functions/handlers/mailFeedback';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, sendRawMail, waitFor } from '../../scripts/local/localStackClient';
import { mailboxSimulatorEvents, snsNotificationEvent } from '../../scripts/local/mailboxSimulator';
import { testSettings } from '../support/settings';

/**
 * SES feedback end to end on the local stack: mail to SES's mailbox simulator addresses makes the local
 * SES publish the events SES would (through the configuration set's SNS topic to the feedback function,
 * spooled and at least once); each is filed on its complaint by SES message id, a hard bounce or a
 * complaint marks the address undeliverable and flags the complaint, and later automatic mail to the
 * address is suppressed. Redelivered notifications change nothing; unknown or unreadable ones are
 * quarantined.
 */
let stack: LocalStack;
let dataDir: string;
let store: DynamoComplaintStore;
let ledger: DynamoMailLedger;
/** The feedback function as SNS would invoke it again (a redelivery), on the stack's table. */
let mailFeedbackHandler: (event: unknown) => Promise<void>;
const topicArn = 'arn:aws:sns:us-east-1:000000000000:MailFeedback';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-feedback-'));
  stack = await startLocalStack({ dataDir, quiet: true, mailDomain: 'shop.example', inMemoryDynamoDb: true });
  const client = new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint));
  store = new DynamoComplaintStore('Complaints', client);
  ledger = new DynamoMailLedger('Complaints', client);
  // The feedback function uses its table only.
  mailFeedbackHandler = createHandler(buildDeps(testSettings({ logLevel: 'ERROR' }), { dynamodb: client }));
  // Starting the stack (a JVM, the workflow synth) takes over a minute on a loaded machine.
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const customerMail = (from: string, messageId: string, subject: string) =>
  Buffer.from(
    [
      `From: ${from}`,
      'To: support@shop.example',
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `${subject}: my order never arrived.`,
      '',
    ].join('\r\n'),
  );

/** Files a customer's mail and waits for its acknowledgement to be sent or suppressed. */
async function complaintFrom(from: string, messageId: string, subject: string) {
  const raw = customerMail(from, messageId, subject);
  await sendRawMail(stack.endpoints, raw, { from });
  await stack.drainIntake();
  const mail = await parseInboundMail(raw);
  const claim = await ledger.findInboundClaim({ dedupeKey: mail.dedupeKey, messageId: mail.messageId });
  const id = claim?.complaintId as string;
  const ack = await waitFor(
    async () => {
      const timeline = await store.timeline(id);
      return timeline.find((e) => e.id === `${id}-ack` || e.id === `${id}-ack-suppressed`);
    },
    `the acknowledgement of ${id}`,
    patience,
  );
  return { id, ack };
}

/** The events the local SES publishes for a mail to the simulator's bounce address. */
const bounceEvents = (messageId: string, from: string) =>
  mailboxSimulatorEvents({
    messageId,
    at: new Date(),
    from,
    to: ['bounce@simulator.amazonses.com'],
    cc: [],
    bcc: [],
    subject: 'x',
    headers: [],
    tags: {},
  });

/** Generous deadlines: the local stack shares a loaded machine. */
const patience = 60_000;
const entry = (id: string, entryId: string) =>
  waitFor(
    async () => (await store.timeline(id)).find((e): e is AuditEntry => e.id === entryId),
    `${entryId} on ${id}`,
    patience,
  );

describe('SES feedback', () => {
  let bounced: Complaint;
  let ackId: string;

  it('files a hard bounce of the acknowledgement on its complaint, suppresses the address and flags the complaint', async () => {
    const customer = 'bounce@simulator.amazonses.com';
    const { id, ack } = await complaintFrom(customer, 'bounce-1@simulator.test', 'Lost parcel');
    expect(ack).toMatchObject({ kind: 'message', purpose: 'acknowledgement' });
    ackId = (ack as MessageEntry).messageId as string;
    expect(await ledger.findOutboundMail(ackId)).toEqual({ complaintId: id, mailId: `${id}-ack` });

    const filed = await entry(id, `ses-bounce-${ackId}`);
    expect(filed).toMatchObject({
      action: 'mailBounced',
      actor: { kind: 'system', id: 'ses' },
      details: {
        sesMessageId: ackId,
        mailId: `${id}-ack`,
        eventType: 'Bounce',
        recipients: [customer],
        summary: 'Permanent bounce (General): 5.1.1 smtp; 550 5.1.1 user unknown',
      },
    });
    bounced = await waitFor(
      async () => {
        const c = await store.get(id);
        return c?.undeliverable ? c : undefined;
      },
      'the complaint flagged',
      patience,
    );
    expect(bounced.undeliverable).toMatchObject({ eventType: 'Bounce', sesMessageId: ackId });
    expect(await ledger.findUndeliverable(customer)).toMatchObject({ complaintId: id, eventType: 'Bounce' });
    const timeline = await store.timeline(id);
    expect(timeline.filter((e) => e.kind === 'audit' && e.action === 'recordUndeliverable')).toHaveLength(1);

    // Agents see the flag.
    const read = await api<{ complaint: Complaint }>(stack.endpoints, 'GET', `/complaints/${id}`, {
      token: stack.endpoints.tokens.tier1,
    });
    expect(read.body.complaint.undeliverable).toMatchObject({ reason: expect.stringContaining('Permanent') });
  }, 180_000);

  it('changes nothing when SNS delivers the same notification again', async () => {
    // Once the workflow waits for an agent, nothing else writes the complaint.
    await waitFor(
      async () => ((await store.get(bounced.id))?.waitingFor === 'agent' ? true : undefined),
      'the complaint waiting for an agent',
      patience,
    );
    const before = { complaint: await store.get(bounced.id), timeline: await store.timeline(bounced.id) };
    const [bounce] = bounceEvents(ackId, 'support@shop.example');
    // The filed event's own record, resent as SNS would redeliver it.
    const filed = before.timeline.find((e) => e.id === `ses-bounce-${ackId}`) as AuditEntry;
    const again = { ...bounce, bounce: { ...(bounce?.bounce as object), timestamp: filed.at } };
    const notification = snsNotificationEvent(topicArn, JSON.stringify(again), new Date());
    await mailFeedbackHandler(notification);
    await mailFeedbackHandler(notification);
    expect(await store.get(bounced.id)).toEqual(before.complaint);
    expect(await store.timeline(bounced.id)).toEqual(before.timeline);
  }, 180_000);

  it('sends no automatic mail to the address afterwards: the next acknowledgement is suppressed with the reason', async () => {
    const customer = 'bounce@simulator.amazonses.com';
    const { ack } = await complaintFrom(customer, 'bounce-2@simulator.test', 'Second parcel');
    expect(ack).toMatchObject({
      kind: 'audit',
      action: 'automaticMailSuppressed',
      details: { reason: expect.stringMatching(/^undeliverable address: Permanent bounce/) },
    });
    const sent = (await mailbox(stack.endpoints.mailbox.url)).filter((m) =>
      m.destination.to.includes(customer),
    );
    expect(sent).toHaveLength(1);
  }, 180_000);

  it('records a delivery only, and a spam complaint as undeliverable', async () => {
    const [delivered, complained] = await Promise.all([
      complaintFrom('success@simulator.amazonses.com', 'ok-1@simulator.test', 'Fine'),
      complaintFrom('complaint@simulator.amazonses.com', 'spam-1@simulator.test', 'Annoyed'),
    ]);
    const deliveredId = (delivered.ack as MessageEntry).messageId as string;
    expect(await entry(delivered.id, `ses-delivery-${deliveredId}`)).toMatchObject({
      action: 'mailDelivered',
    });
    const complainedId = (complained.ack as MessageEntry).messageId as string;
    await entry(complained.id, `ses-delivery-${complainedId}`);
    expect(await entry(complained.id, `ses-complaint-${complainedId}`)).toMatchObject({
      action: 'mailMarkedAsSpam',
      details: { summary: 'marked as spam (abuse)' },
    });
    const flagged = await waitFor(
      async () => (await store.get(complained.id))?.undeliverable,
      'the flag',
      patience,
    );
    expect(flagged.eventType).toBe('Complaint');
    expect((await store.get(delivered.id))?.undeliverable).toBeUndefined();
  }, 180_000);

  it('quarantines an event for a mail none of ours and an unreadable one, once each; they cannot be released', async () => {
    const unknown = snsNotificationEvent(
      topicArn,
      JSON.stringify(bounceEvents('not-ours-1', 'someone@else.example')[0]),
      new Date(),
    );
    const unreadable = snsNotificationEvent(topicArn, '{"eventType":"Open"}', new Date());
    for (const notification of [unknown, unknown, unreadable]) await mailFeedbackHandler(notification);
    const list = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
      token: stack.endpoints.tokens.manager,
    });
    const held = list.body.items.filter((q) => q.sesEvent);
    expect(held.map((q) => q.reasons[0]?.code).sort()).toEqual([
      'unknown_ses_message',
      'unreadable_ses_event',
    ]);
    expect(held.find((q) => q.reasons[0]?.code === 'unknown_ses_message')).toMatchObject({
      delivery: { sesMessageId: 'not-ours-1' },
      summary: { from: 'bounce@simulator.amazonses.com' },
    });
    const release = await api(stack.endpoints, 'POST', `/quarantine/${held[0]?.id}/release`, {
      token: stack.endpoints.tokens.manager,
    });
    expect(release.status).toBe(409);
  });
});
