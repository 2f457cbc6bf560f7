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
import { bounceMail } from '../support/bounceMail';
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

/** A receiver's bounce mail (RFC 3464) for one of our mails, sent to the inbound address. */
const bounceMailOf = (sesMessageId: string, recipient: string, tag: string) =>
  bounceMail({
    to: 'support@shop.example',
    sesMessageId,
    recipient,
    tag,
    autoSubmitted: true,
    date: 'Tue, 24 Nov 2026 10:05:00 +0000',
  });

/** Delivers a bounce mail and waits until intake has claimed it (filed or, as a duplicate, not). */
async function deliverBounceMail(raw: Buffer) {
  await sendRawMail(stack.endpoints, raw, { from: 'mailer-daemon@mx.receiver.example' });
  await stack.drainIntake();
  const mail = await parseInboundMail(raw);
  return waitFor(
    () => ledger.findInboundClaim({ dedupeKey: mail.dedupeKey, messageId: mail.messageId }),
    'the bounce mail claimed',
    patience,
  );
}

/** The timeline entries that file a bounce of the mail `sesMessageId`: the SES event's or a bounce mail. */
const bounceFilings = async (complaintId: string, sesMessageId: string) =>
  (await store.timeline(complaintId)).filter(
    (e) =>
      e.id === `ses-bounce-${sesMessageId}` ||
      (e.kind === 'message' && e.deliveryFailure?.sesMessageId === sesMessageId),
  );

describe('SES feedback', () => {
  let bounced: Complaint;
  let ackId: string;
  let deliveredAck: { id: string; sesMessageId: string };

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
    deliveredAck = { id: delivered.id, sesMessageId: deliveredId };
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

  it('files a bounce once when it comes back both as an SES event and as a bounce mail, in either order', async () => {
    // The SES event first (the first test filed it), then the receiver's bounce mail: claimed, not filed.
    const late = await deliverBounceMail(bounceMailOf(ackId, 'bounce@simulator.amazonses.com', 'late'));
    expect(late).toMatchObject({ disposition: 'bounce', complaintId: bounced.id, failedSesMessageId: ackId });
    expect((await bounceFilings(bounced.id, ackId)).map((e) => e.id)).toEqual([`ses-bounce-${ackId}`]);

    // The bounce mail first, then the SES event: the event leaves its mark but no second entry.
    const { id, sesMessageId } = deliveredAck;
    await deliverBounceMail(bounceMailOf(sesMessageId, 'success@simulator.amazonses.com', 'early'));
    const [filed] = await waitFor(
      async () => {
        const found = await bounceFilings(id, sesMessageId);
        return found.length > 0 ? found : undefined;
      },
      'the bounce mail filed',
      patience,
    );
    expect(filed).toMatchObject({ kind: 'message', purpose: 'bounce' });
    const [event] = bounceEvents(sesMessageId, 'support@shop.example');
    await mailFeedbackHandler(snsNotificationEvent(topicArn, JSON.stringify(event), new Date()));
    expect(await bounceFilings(id, sesMessageId)).toEqual([filed]);
    expect(await ledger.findUndeliverable('bounce@simulator.amazonses.com')).toBeDefined();
  }, 180_000);

  it('lets a manager clear an address’s undeliverable mark: audited, idempotent, managers only', async () => {
    const customer = 'bounce@simulator.amazonses.com';
    const path = (address: string) => `/customers/${encodeURIComponent(address)}/deliverable`;
    const post = (address: string, body: unknown, role: 'manager' | 'tier1' = 'manager') =>
      api<Record<string, unknown>>(stack.endpoints, 'POST', path(address), {
        token: stack.endpoints.tokens[role],
        body,
      });
    const reason = 'The customer fixed their mailbox (phone call).';
    expect((await post(customer, { reason }, 'tier1')).status).toBe(403);
    expect((await post(customer, {})).status).toBe(400);
    expect((await post(customer, { reason, extra: 1 })).status).toBe(400);
    expect((await post('nobody@nowhere.example', { reason })).status).toBe(404);

    const cleared = await post(customer, { reason });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({
      address: customer,
      cleared: true,
      mark: { eventType: 'Bounce', complaintId: bounced.id },
      complaints: [bounced.id],
    });
    expect((await store.get(bounced.id))?.undeliverable).toBeUndefined();
    expect(await ledger.findUndeliverable(customer)).toBeUndefined();
    const audit = (await store.timeline(bounced.id)).find(
      (e): e is AuditEntry => e.kind === 'audit' && e.action === 'clearUndeliverable',
    );
    expect(audit).toMatchObject({
      actor: { kind: 'agent', role: 'manager' },
      details: { reason, mark: { eventType: 'Bounce', sesMessageId: ackId } },
    });

    const again = await post(customer, { reason });
    expect(again).toMatchObject({ status: 200, body: { cleared: false, complaints: [] } });
  }, 180_000);
});
