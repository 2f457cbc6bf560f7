import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import { DynamoQuarantineStore } from '../../functions/adapters/quarantineStore';
import type { Complaint, MessageEntry, TimelineEntry } from '../../functions/core/complaint';
import type { QuarantinedMail } from '../../functions/core/mail/filing';
import { parseInboundMail } from '../../functions/core/mail/inboundMail';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, executionNames, mailbox, sendRawMail, waitFor } from '../../scripts/local/localStackClient';
import { receiptEventFor } from '../../scripts/local/smtpIntake';

/**
 * The email channel's guarantees through the local stack over SMTP and HTTP: exactly-once intake under
 * redelivery, the automatic-mail cap, replies after resolution and after the reopen window, and the
 * quarantine as managers work it.
 */
let stack: LocalStack;
let dataDir: string;
let store: DynamoComplaintStore;
let ledger: DynamoMailLedger;
let quarantine: DynamoQuarantineStore;
const day = 24 * 3600 * 1000;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-mail-'));
  stack = await startLocalStack({ dataDir, quiet: true, mailDomain: 'shop.example', inMemoryDynamoDb: true });
  const client = new DynamoDBClient({
    endpoint: stack.endpoints.dynamodb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  store = new DynamoComplaintStore('Complaints', client);
  ledger = new DynamoMailLedger('Complaints', client);
  quarantine = new DynamoQuarantineStore('Complaints', client);
});
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const rawMail = (lines: string[]) => Buffer.from([...lines, ''].join('\r\n'));

function customerMail(from: string, messageId: string, subject: string, body: string, extra: string[] = []) {
  return rawMail([
    `From: ${from}`,
    'To: support@shop.example',
    `Subject: ${subject}`,
    `Message-ID: <${messageId}>`,
    'Date: Tue, 24 Nov 2026 10:00:00 +0000',
    ...extra,
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ]);
}

/** Exact bytes over SMTP; resolves with the SES-style message id the intake answered with. */
const deliver = (raw: Buffer, from: string, to?: string) =>
  sendRawMail(stack.endpoints, raw, { from, ...(to ? { to } : {}) });

async function complaintIdOf(raw: Buffer): Promise<string> {
  const mail = await parseInboundMail(raw);
  const claim = await ledger.findInboundClaim({ dedupeKey: mail.dedupeKey, messageId: mail.messageId });
  if (!claim) throw new Error(`no claim for ${mail.dedupeKey}`);
  return claim.complaintId;
}

const acksTo = async (address: string) =>
  (await mailbox(stack.endpoints.mailbox.url)).filter(
    (m) => m.destination.to.includes(address) && /registered your complaint/.test(m.body.text ?? ''),
  );
const timelineOf = (id: string) => store.timeline(id);
/** The acknowledgement is the execution's first step: waits until it was sent or suppressed. */
const acknowledged = (id: string) =>
  waitFor(async () => {
    const timeline = await timelineOf(id);
    return timeline.some((e) => e.id === `${id}-ack` || e.id === `${id}-ack-suppressed`) || undefined;
  }, `the acknowledgement of ${id}`);
const messagesOf = (timeline: TimelineEntry[]) =>
  timeline.filter((e): e is MessageEntry => e.kind === 'message');

const executionsNamed = async (prefix: string) =>
  (await executionNames(stack.endpoints)).filter((name) => name.startsWith(prefix));

/** Rewrites a complaint as the lifecycle would have left it (the lifecycle's own tests cover getting there). */
async function settle(id: string, change: Partial<Complaint>): Promise<Complaint> {
  // Let the workflow reach its first wait, so that nothing writes the complaint concurrently.
  const current = await waitFor(async () => {
    const c = await store.get(id);
    return c?.taskToken ? c : undefined;
  }, `complaint ${id} to wait for an agent`);
  const next = { ...current, ...change, version: current.version + 1 };
  await store.save(next, []);
  return next;
}

describe('exactly-once intake', () => {
  it('files the same mail delivered five times (3 SMTP retries, 2 Lambda redeliveries) as one complaint, one acknowledgement, one execution', async () => {
    const from = 'five.times@example.org';
    const raw = customerMail(
      `Five Times <${from}>`,
      'five-times-1@example.org',
      'Charged five times?',
      'Once is enough.',
    );
    const [first] = await Promise.all([deliver(raw, from), deliver(raw, from), deliver(raw, from)]);
    // The S3 event / async Lambda invocation of the first delivery, twice more, concurrently.
    const stored = await readFile(join(dataDir, 'raw-mail', 'raw-mail', `inbound/${first}`));
    const event = await receiptEventFor(stored, {
      messageId: first as string,
      receivedAt: new Date(),
      source: from,
      recipients: [stack.endpoints.supportAddress],
    });
    await Promise.all([stack.invokeIntake(event), stack.invokeIntake(event)]);
    await stack.drainIntake();

    const id = await complaintIdOf(raw);
    await acknowledged(id);
    expect(await acksTo(from)).toHaveLength(1);
    const timeline = await timelineOf(id);
    expect(messagesOf(timeline).map((m) => `${m.direction}:${m.purpose}`)).toEqual(
      expect.arrayContaining(['inbound:customer', 'outbound:acknowledgement']),
    );
    expect(messagesOf(timeline).filter((m) => m.direction === 'inbound')).toHaveLength(1);
    expect(messagesOf(timeline).filter((m) => m.purpose === 'acknowledgement')).toHaveLength(1);
    expect(timeline.filter((e) => e.kind === 'audit' && e.action === 'receive')).toHaveLength(1);
    expect(await executionsNamed(id)).toEqual([id]);
    const { items } = await store.byCustomer(from);
    expect(items).toHaveLength(1);
  });

  it('files a mail that reuses a Message-ID with other content (same sender) separately, even concurrently', async () => {
    const from = 'reuser@example.org';
    const a = customerMail(from, 'static-id@broken-client.example', 'First problem', 'The lid is broken.');
    const b = customerMail(from, 'static-id@broken-client.example', 'Second problem', 'The handle is loose.');
    // At once: whichever claims the Message-ID first, the other is not swallowed.
    await Promise.all([deliver(a, from), deliver(b, from)]);
    await stack.drainIntake();
    const { items } = await store.byCustomer(from);
    expect(items.map((c) => c.subject).sort()).toEqual(['First problem', 'Second problem']);
  });
});

describe('automatic mail cap', () => {
  it('acknowledges at most 3 mails per recipient in 10 minutes and records the suppressed ones', async () => {
    // The cap counts per window of 10 minutes from the epoch: begin clear of a window's end, so that the
    // five acknowledgements fall into one window.
    const windowMs = 600_000;
    const left = windowMs - (Date.now() % windowMs);
    if (left < 45_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
    const from = 'prolific@example.org';
    for (let i = 1; i <= 5; i++) {
      await deliver(
        customerMail(from, `prolific-${i}@example.org`, `Problem ${i}`, `Problem number ${i}.`),
        from,
      );
      await stack.drainIntake();
    }
    const { items } = await store.byCustomer(from);
    expect(items).toHaveLength(5);
    for (const c of items) await acknowledged(c.id);
    expect(await acksTo(from)).toHaveLength(3);
    const suppressed = [];
    for (const c of items) {
      const audit = (await timelineOf(c.id)).find(
        (e) => e.kind === 'audit' && e.action === 'automaticMailSuppressed',
      );
      if (audit) suppressed.push(audit);
    }
    expect(suppressed).toHaveLength(2);
    for (const a of suppressed)
      expect(a).toMatchObject({ details: { reason: expect.stringMatching(/^cap: more than 3/) } });
  }, 120_000);
});

describe('replies after resolution and after closure', () => {
  it('hands a reply to a resolved complaint to the lifecycle (handleCustomerReply), which files it', async () => {
    const from = 'resolved.customer@example.org';
    const first = customerMail(from, 'resolved-1@example.org', 'Broken mug', 'The mug arrived broken.');
    await deliver(first, from);
    await stack.drainIntake();
    const complaint = await settle(await complaintIdOf(first), { status: 'resolved' });
    const ack = messagesOf(await timelineOf(complaint.id)).find((m) => m.purpose === 'acknowledgement');

    const reply = customerMail(
      from,
      'resolved-2@example.org',
      `Re: Broken mug [${complaint.reference}]`,
      'The replacement is broken too.',
      [`In-Reply-To: <${ack?.messageId}@email.amazonses.com>`],
    );
    await deliver(reply, from);
    await stack.drainIntake();
    const mail = await parseInboundMail(reply);
    expect(
      await ledger.findInboundClaim({ dedupeKey: mail.dedupeKey, messageId: mail.messageId }),
    ).toMatchObject({
      disposition: 'reply',
      complaintId: complaint.id,
    });
    expect(messagesOf(await timelineOf(complaint.id))).toContainEqual(
      expect.objectContaining({
        direction: 'inbound',
        messageId: 'resolved-2@example.org',
        text: expect.stringContaining('too'),
      }),
    );
    expect(await acksTo(from)).toHaveLength(1);
  });

  it('opens a new complaint linked to one closed longer than the reopen window', async () => {
    const from = 'late.customer@example.org';
    const first = customerMail(from, 'late-1@example.org', 'Wobbly shelf', 'The shelf wobbles.');
    await deliver(first, from);
    await stack.drainIntake();
    const closedAt = new Date(Date.now() - 40 * day).toISOString();
    const old = await settle(await complaintIdOf(first), {
      status: 'closed',
      closure: { reason: 'satisfied', at: closedAt, by: { kind: 'system', id: 'workflow' } },
      updatedAt: closedAt,
    });
    const token = (await mailbox(stack.endpoints.mailbox.url)).find((m) => m.destination.to.includes(from))
      ?.replyTo[0] as string;

    const reply = customerMail(
      from,
      'late-2@example.org',
      `Re: Wobbly shelf [${old.reference}]`,
      'It wobbles again.',
    );
    await deliver(reply, from, token);
    await stack.drainIntake();
    const linkedId = await complaintIdOf(reply);
    expect(linkedId).not.toBe(old.id);
    await acknowledged(linkedId);
    expect(await store.get(linkedId)).toMatchObject({
      linkedTo: old.id,
      customerEmail: from,
      status: expect.any(String),
    });
    const acks = await acksTo(from);
    expect(acks).toHaveLength(2);
    expect(acks.some((m) => m.body.text?.includes(`earlier complaint ${old.reference}`))).toBe(true);
    expect(await timelineOf(old.id)).toContainEqual(
      expect.objectContaining({
        action: 'linkedComplaintOpened',
        details: expect.objectContaining({ linkedComplaintId: linkedId }),
      }),
    );
  });
});

describe('quarantine', () => {
  const from = 'flagged.customer@example.org';
  const spam = customerMail(
    from,
    'flagged-1@example.org',
    'Refund please',
    'My refund for order 1 is missing.',
    ['X-Local-Spam-Verdict: FAIL'],
  );
  let held: QuarantinedMail;

  it('holds failing mail without answering it, visible to managers only', async () => {
    const sesMessageId = await deliver(spam, from);
    await stack.drainIntake();
    expect(
      (await api(stack.endpoints, 'GET', '/quarantine', { token: stack.endpoints.tokens.tier1 })).status,
    ).toBe(403);
    const list = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
      token: stack.endpoints.tokens.manager,
    });
    expect(list.status).toBe(200);
    held = list.body.items.find((q) => q.delivery.sesMessageId === sesMessageId) as QuarantinedMail;
    expect(held).toMatchObject({
      status: 'quarantined',
      reasons: [{ code: 'spam' }],
      delivery: { rawMailKey: `inbound/${sesMessageId}`, verdicts: { spam: 'FAIL' } },
      summary: {
        from,
        subject: 'Refund please',
        messageId: 'flagged-1@example.org',
        preview: expect.stringContaining('refund'),
      },
    });
    expect(await acksTo(from)).toHaveLength(0);
    expect((await store.byCustomer(from)).items).toHaveLength(0);
  });

  it('hands a released mail to intake, which files it once: repeated hand-overs, releases and a redelivery change nothing', async () => {
    const path = `/quarantine/${held.id}/release`;
    expect((await api(stack.endpoints, 'POST', path, { token: stack.endpoints.tokens.tier1 })).status).toBe(
      403,
    );
    // An API that died after marking the mail released, before handing it over: the record says
    // released, nothing is filed, and the manager's next release completes the hand-over.
    await quarantine.release(held.id, {
      by: { kind: 'agent', id: 'dev-manager', role: 'manager' },
      at: new Date().toISOString(),
    });
    expect((await store.byCustomer(from)).items).toHaveLength(0);
    const released = await api<QuarantinedMail>(stack.endpoints, 'POST', path, {
      token: stack.endpoints.tokens.manager,
    });
    expect(released.status).toBe(202);
    expect(released.body).toMatchObject({
      status: 'released',
      released: { by: { id: 'dev-manager', role: 'manager' } },
      handedOver: { to: 'intake', at: expect.any(String) },
    });
    // The same hand-over delivered again, twice at once (Lambda's at-least-once, an intake killed
    // mid-way and retried): still one complaint.
    const event = { quarantineRelease: { id: held.id } };
    await Promise.all([stack.invokeIntake(event), stack.invokeIntake(event)]);
    await stack.drainIntake();

    const again = await api<QuarantinedMail>(stack.endpoints, 'POST', path, {
      token: stack.endpoints.tokens.manager,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      handedOver: released.body.handedOver,
      outcome: { disposition: 'new', complaintId: expect.any(String) },
    });
    await deliver(spam, from);
    await stack.drainIntake();

    expect((await store.byCustomer(from)).items.map((c) => c.id)).toEqual([
      (again.body.outcome as { complaintId: string }).complaintId,
    ]);
    expect(await acksTo(from)).toHaveLength(1);
    const releasedList = await api<{ items: QuarantinedMail[] }>(
      stack.endpoints,
      'GET',
      '/quarantine?status=released',
      {
        token: stack.endpoints.tokens.manager,
      },
    );
    expect(releasedList.body.items.find((q) => q.id === held.id)).toMatchObject({
      handedOver: released.body.handedOver,
      outcome: again.body.outcome,
    });
    const stillHeld = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
      token: stack.endpoints.tokens.manager,
    });
    expect(stillHeld.body.items.map((q) => q.id)).not.toContain(held.id);
  });

  it('files a release whose hand-over was lost at the next sweep, once; a young release is left to its hand-over', async () => {
    const lostFrom = 'lost.handover@example.org';
    const lost = customerMail(lostFrom, 'flagged-2@example.org', 'Broken kettle', 'It broke on day two.', [
      'X-Local-Spam-Verdict: FAIL',
    ]);
    await deliver(lost, lostFrom);
    await stack.drainIntake();
    const list = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
      token: stack.endpoints.tokens.manager,
    });
    const lostHeld = list.body.items.find((q) => q.summary.from === lostFrom) as QuarantinedMail;
    const manager = { kind: 'agent' as const, id: 'dev-manager', role: 'manager' as const };
    // An API killed after marking the mail released, before its invoke reached intake, ten minutes ago;
    // and a release of a moment ago, whose hand-over may still be on its way.
    await quarantine.release(lostHeld.id, {
      by: manager,
      at: new Date(Date.now() - 10 * 60_000).toISOString(),
    });
    const youngFrom = 'young.release@example.org';
    await deliver(
      customerMail(youngFrom, 'flagged-3@example.org', 'Late parcel', 'Still waiting.', [
        'X-Local-Spam-Verdict: FAIL',
      ]),
      youngFrom,
    );
    await stack.drainIntake();
    const young = (
      await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
        token: stack.endpoints.tokens.manager,
      })
    ).body.items.find((q) => q.summary.from === youngFrom) as QuarantinedMail;
    await quarantine.release(young.id, { by: manager, at: new Date().toISOString() });
    expect((await quarantine.pendingReleases()).map((p) => p.id).sort()).toEqual(
      [lostHeld.id, young.id].sort(),
    );

    // The schedule's sweep, twice at once and once more (at-least-once): one complaint, one acknowledgement.
    const sweep = { sweep: 'quarantineReleases' };
    await Promise.all([stack.invokeIntake(sweep), stack.invokeIntake(sweep)]);
    await stack.invokeIntake(sweep);
    await stack.drainIntake();
    await stack.resting();
    const filed = (await quarantine.get(lostHeld.id)) as QuarantinedMail;
    expect(filed).toMatchObject({
      status: 'released',
      outcome: { disposition: 'new', complaintId: expect.any(String) },
    });
    expect((await store.byCustomer(lostFrom)).items.map((c) => c.id)).toEqual([
      (filed.outcome as { complaintId: string }).complaintId,
    ]);
    expect(await acksTo(lostFrom)).toHaveLength(1);
    expect((await quarantine.pendingReleases()).map((p) => p.id)).toEqual([young.id]);
    expect((await quarantine.get(young.id))?.outcome).toBeUndefined();
    expect((await store.byCustomer(youngFrom)).items).toHaveLength(0);

    // The young release's hand-over arrives: its outcome removes its mark.
    await stack.invokeIntake({ quarantineRelease: { id: young.id } });
    expect((await quarantine.get(young.id))?.outcome).toMatchObject({ disposition: 'new' });
    expect(await quarantine.pendingReleases()).toEqual([]);
  });

  it('answers 404 for an unknown quarantine id', async () => {
    const res = await api(stack.endpoints, 'POST', `/quarantine/${'0'.repeat(26)}/release`, {
      token: stack.endpoints.tokens.manager,
    });
    expect(res.status).toBe(404);
  });
});

describe('mail beyond every size', () => {
  /** Deliveries intake gave up on (retried, then dead-lettered: stored, but neither filed nor held). */
  const deadLettered = () => readdir(join(dataDir, 'dead-letter')).catch(() => [] as string[]);

  it('files a mail whose header values no mail system makes within the item limit: opened and acknowledged, nothing dead-lettered', async () => {
    const from = 'outsized@example.org';
    const raw = rawMail([
      `From: "${'Ann '.repeat(900)}" <${from}>`,
      `To: support@shop.example, ${Array.from({ length: 10_000 }, (_, i) => `r${i}@example.org`).join(', ')}`,
      `Message-ID: <${'m'.repeat(300_000)}@example.org>`,
      'Subject: Outsized',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'The parcel never came.',
      '--b',
      `Content-Type: application/pdf; name="${'label-'.repeat(20_000)}.pdf"`,
      'Content-Disposition: attachment',
      '',
      'PDF',
      '--b--',
    ]);
    await deliver(raw, from);
    await stack.drainIntake();
    const [complaint] = (await store.byCustomer(from)).items;
    expect(complaint?.customerName).toMatch(/^Ann Ann .*…$/);
    const id = complaint?.id as string;
    await acknowledged(id);
    expect(await acksTo(from)).toHaveLength(1);
    const [inbound] = messagesOf(await timelineOf(id)).filter((m) => m.direction === 'inbound');
    expect(inbound?.text).toContain('The parcel never came.');
    expect(inbound?.to).toHaveLength(100);
    expect(inbound?.messageId).toBeUndefined();
    expect(inbound?.attachments?.[0]?.filename).toMatch(/^label-label-.*…\.pdf$/);
    expect(await deadLettered()).toEqual([]);
  });

  it('holds an outsized mail that fails its verdicts within the item limit: 100 attachments listed, the rest counted', async () => {
    const from = 'outsized.spam@example.org';
    const raw = rawMail([
      `From: ${from}`,
      'To: support@shop.example',
      `Subject: ${'Refund '.repeat(10_000)}`,
      'Message-ID: <outsized-spam-1@example.org>',
      'X-Local-Spam-Verdict: FAIL',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Open the attachments.',
      ...Array.from({ length: 150 }, (_, i) => [
        '--b',
        `Content-Type: application/octet-stream; name="${`${i}-`.repeat(400)}.exe"`,
        'Content-Disposition: attachment',
        '',
        'MZ',
      ]).flat(),
      '--b--',
    ]);
    const sesMessageId = await deliver(raw, from);
    await stack.drainIntake();
    const list = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine', {
      token: stack.endpoints.tokens.manager,
    });
    const held = list.body.items.find((q) => q.delivery.sesMessageId === sesMessageId);
    expect(held?.reasons).toEqual([expect.objectContaining({ code: 'spam' })]);
    expect(held?.summary.subject.length).toBeLessThanOrEqual(500);
    expect(held?.summary.attachments).toHaveLength(100);
    expect(held?.summary.attachments.every((a) => (a.filename?.length ?? 0) <= 255)).toBe(true);
    expect(held?.summary.preview).toContain('[50 more attachments are in the raw mail.]');
    expect(await deadLettered()).toEqual([]);
  });
});
