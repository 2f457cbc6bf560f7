import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import type { OutboundMail, ReportStore } from '../../functions/adapters/ports';
import { DynamoQuarantineStore } from '../../functions/adapters/quarantineStore';
import { OutboundMailInFlightError } from '../../functions/application/customerMail';
import { digestMailId, sendWeeklyDigest } from '../../functions/application/insights/weeklyDigest';
import type { MessageEntry } from '../../functions/core/complaint';
import { erasedText, pseudonymFor } from '../../functions/core/erasure';
import type { InboundClaim, QuarantinedMail } from '../../functions/core/mail/filing';
import { startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';

/** The email channel's DynamoDB adapters on DynamoDB Local. */
let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let ledger: DynamoMailLedger;
let quarantine: DynamoQuarantineStore;

beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  ledger = new DynamoMailLedger('Complaints', table.client);
  quarantine = new DynamoQuarantineStore('Complaints', table.client);
  // The complaints the mails below are recorded on (the record checks the address it was made for).
  for (const [id, customerEmail] of [
    ['c-1', 'ann@example.org'],
    ['c-erased', pseudonymFor('ann@example.org')],
  ] as const)
    await table.client.send(
      new PutItemCommand({
        TableName: 'Complaints',
        Item: { PK: { S: `COMPLAINT#${id}` }, SK: { S: 'META' }, customerEmail: { S: customerEmail } },
      }),
    );
});
afterAll(() => table.close());

/** The timeline entry of a sent mail, as mailCustomer records it. */
const sentMail = (id: string, sesMessageId: string): MessageEntry => ({
  kind: 'message',
  id,
  at: '2026-11-24T10:00:00.000Z',
  direction: 'outbound',
  messageId: sesMessageId,
  from: 'support@example.org',
  to: ['ann@example.org'],
  subject: 'Re: Late',
  text: 'We got it.',
  purpose: 'acknowledgement',
});

const claim = (over: Partial<InboundClaim>): InboundClaim => ({
  dedupeKey: 'mid:a@x|from:ann@example.org',
  messageId: 'a@x',
  complaintId: 'c-1',
  disposition: 'new',
  sender: 'ann@example.org',
  receivedAt: '2026-11-24T10:00:00.000Z',
  rawMailKey: 'inbound/ses-1',
  sesMessageId: 'ses-1',
  contentDigest: 'd1',
  ...over,
});

describe('DynamoMailLedger', () => {
  it('keeps the first claim of a dedupe key, even for Message-IDs beyond the 2 KB key limit', async () => {
    const messageId = `${'x'.repeat(3000)}@example.org`;
    const first = claim({ dedupeKey: `mid:${messageId}|from:ann@example.org`, messageId });
    expect(await ledger.claimInbound(first)).toEqual(first);
    expect(await ledger.claimInbound({ ...first, complaintId: 'c-2', sesMessageId: 'ses-2' })).toEqual(first);
    expect(await ledger.findInboundClaim(first)).toEqual(first);
    expect(
      await ledger.findInboundClaim({ dedupeKey: 'mid:other|from:x', messageId: 'other' }),
    ).toBeUndefined();
  });

  it('records a raw mail deleted on purpose, for a redelivery of it to find', async () => {
    expect(await ledger.findRawMailErasure('inbound/ses-erased-1')).toBeUndefined();
    await ledger.markRawMailErased('inbound/ses-erased-1', {
      erasedAt: '2026-12-02T07:00:00.000Z',
      complaintId: 'c-9',
    });
    await ledger.markRawMailErased('inbound/ses-erased-2', {
      erasedAt: '2026-12-02T07:00:00.000Z',
      quarantineId: 'q-9',
    });
    expect(await ledger.findRawMailErasure('inbound/ses-erased-1')).toEqual({
      erasedAt: '2026-12-02T07:00:00.000Z',
      complaintId: 'c-9',
    });
    expect(await ledger.findRawMailErasure('inbound/ses-erased-2')).toEqual({
      erasedAt: '2026-12-02T07:00:00.000Z',
      quarantineId: 'q-9',
    });
  });

  it('finds the complaint of an inbound Message-ID, the earliest claim winning over a later reuse', async () => {
    await ledger.claimInbound(
      claim({
        dedupeKey: 'mid:shared@x|from:b@x',
        messageId: 'shared@x',
        complaintId: 'late',
        receivedAt: '2026-11-24T11:00:00.000Z',
      }),
    );
    await ledger.claimInbound(
      claim({
        dedupeKey: 'mid:shared@x|from:a@x',
        messageId: 'shared@x',
        complaintId: 'early',
        receivedAt: '2026-11-24T09:00:00.000Z',
      }),
    );
    expect(await ledger.findIdByInboundMessageId('shared@x')).toBe('early');
    expect(await ledger.findIdByInboundMessageId('unknown@x')).toBeUndefined();
  });

  it('gives one caller the send lease; a live lease is busy, an expired one is taken over once', async () => {
    const t0 = new Date('2026-11-24T10:00:00Z');
    const first = await ledger.beginOutbound('c-1-ack', t0, 45);
    expect(first).toMatchObject({ state: 'acquired', at: t0.toISOString() });
    expect(await ledger.beginOutbound('c-1-ack', new Date(t0.getTime() + 1000), 45)).toEqual({
      state: 'busy',
    });
    const later = new Date(t0.getTime() + 46_000);
    const [a, b] = await Promise.all([
      ledger.beginOutbound('c-1-ack', later, 45),
      ledger.beginOutbound('c-1-ack', later, 45),
    ]);
    expect([a.state, b.state].sort()).toEqual(['acquired', 'busy']);
    const taker = (a.state === 'acquired' ? a : b) as { lease: string; at: string };
    expect(taker.at).toBe(t0.toISOString());
    // The first holder's late completion does not overwrite the taker's.
    expect(
      await ledger.completeOutbound('c-1-ack', (first as { lease: string }).lease, {
        sesMessageId: 'ses-old',
        complaintId: 'c-1',
        customerEmail: 'ann@example.org',
        entry: sentMail('c-1-ack', 'ses-old'),
      }),
    ).toBe(false);
    expect(await ledger.findOutboundMail('ses-old')).toBeUndefined();
    expect(
      await ledger.completeOutbound('c-1-ack', taker.lease, {
        sesMessageId: 'ses-new',
        complaintId: 'c-1',
        customerEmail: 'ann@example.org',
        entry: sentMail('c-1-ack', 'ses-new'),
      }),
    ).toBe(true);
    expect(await ledger.beginOutbound('c-1-ack', later, 45)).toEqual({
      state: 'sent',
      sesMessageId: 'ses-new',
      at: t0.toISOString(),
    });
    // Recorded with the send: the SES MessageId names the complaint and the mail, which is on its timeline.
    expect(await ledger.findOutboundMail('ses-new')).toEqual({ complaintId: 'c-1', mailId: 'c-1-ack' });
    expect(await new DynamoComplaintStore('Complaints', table.client).timeline('c-1')).toMatchObject([
      { id: 'c-1-ack', messageId: 'ses-new' },
    ]);
  });

  it('records a mail the customer was erased from while SES took it as the erasure leaves entries', async () => {
    const t0 = new Date('2026-11-24T10:00:00.000Z');
    const intent = await ledger.beginOutbound('c-erased-reply', t0, 45);
    expect(intent.state).toBe('acquired');
    const entry = { ...sentMail('c-erased-reply', 'ses-erased'), to: ['ann@example.org'] };
    expect(
      await ledger.completeOutbound('c-erased-reply', (intent as { lease: string }).lease, {
        sesMessageId: 'ses-erased',
        complaintId: 'c-erased',
        customerEmail: 'ann@example.org',
        entry,
      }),
    ).toBe(true);
    const [recorded] = await new DynamoComplaintStore('Complaints', table.client).timeline('c-erased');
    expect(recorded).toMatchObject({
      id: 'c-erased-reply',
      messageId: 'ses-erased',
      subject: erasedText,
      text: erasedText,
      to: [pseudonymFor('ann@example.org')],
    });
    expect(JSON.stringify(recorded)).not.toContain('ann@example.org');
    expect(await ledger.findOutboundMail('ses-erased')).toEqual({
      complaintId: 'c-erased',
      mailId: 'c-erased-reply',
    });
  });

  it('releases a lease after a failed send, and remembers a suppression', async () => {
    const t0 = new Date('2026-11-24T10:00:00Z');
    const held = (await ledger.beginOutbound('c-2-ack', t0, 45)) as { lease: string };
    await ledger.abandonOutbound('c-2-ack', held.lease);
    const retry = await ledger.beginOutbound('c-2-ack', t0, 45);
    expect(retry.state).toBe('acquired');
    await ledger.completeOutbound('c-2-ack', (retry as { lease: string }).lease, { suppressed: 'cap' });
    expect(await ledger.beginOutbound('c-2-ack', t0, 45)).toMatchObject({
      state: 'suppressed',
      reason: 'cap',
    });
  });

  it('begins an automatic mail in one write only when never begun, deliverable and within the cap', async () => {
    const t0 = new Date('2026-11-24T11:00:00Z');
    const cap = { recipient: 'cap@example.org', windowStart: 1_763_982_000, windowSeconds: 600, max: 2 };
    expect(await ledger.beginAutomaticOutbound('c-3-ack', t0, 45, cap)).toMatchObject({ state: 'acquired' });
    // Begun already: refused, and the step-by-step path finds it busy.
    expect(await ledger.beginAutomaticOutbound('c-3-ack', t0, 45, cap)).toBeUndefined();
    expect(await ledger.beginOutbound('c-3-ack', t0, 45)).toEqual({ state: 'busy' });
    expect(await ledger.beginAutomaticOutbound('c-4-ack', t0, 45, cap)).toMatchObject({ state: 'acquired' });
    // The cap (2) is reached: refused with nothing written, so the count stays and the intent is new.
    expect(await ledger.beginAutomaticOutbound('c-5-ack', t0, 45, cap)).toBeUndefined();
    expect(await ledger.countAutomaticMail(cap.recipient, cap.windowStart, 600)).toBe(3);
    expect((await ledger.beginOutbound('c-5-ack', t0, 45)).state).toBe('acquired');
    await ledger.markUndeliverable('dead@example.org', {
      reason: 'hard bounce',
      eventType: 'Bounce',
      sesMessageId: 'ses-x',
      at: t0.toISOString(),
      complaintId: 'c-6',
    });
    expect(
      await ledger.beginAutomaticOutbound('c-6-ack', t0, 45, { ...cap, recipient: 'dead@example.org' }),
    ).toBeUndefined();
  });

  it('counts automatic mail per recipient and window atomically', async () => {
    const counts = await Promise.all(
      Array.from({ length: 5 }, () => ledger.countAutomaticMail('Ann@Example.org', 1_763_978_400, 600)),
    );
    expect(counts.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await ledger.countAutomaticMail('ann@example.org', 1_763_979_000, 600)).toBe(1);
  });
});

describe('DynamoQuarantineStore', () => {
  const held = (id: string, at: string): QuarantinedMail => ({
    id,
    status: 'quarantined',
    reasons: [{ code: 'spam', detail: 'SES spam verdict FAIL' }],
    delivery: {
      sesMessageId: `ses-${id}`,
      rawMailKey: `inbound/ses-${id}`,
      receivedAt: at,
      source: 'x@spam.example',
      recipients: ['support@shop.example'],
      verdicts: { spam: 'FAIL', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
    },
    summary: { to: [], subject: 'Win', sizeBytes: 10, attachments: [], preview: '' },
    quarantinedAt: at,
  });

  it('holds a mail once, lists newest first with a cursor, and moves it to the released list once', async () => {
    await quarantine.hold(held('q1', '2026-11-24T10:00:00.000Z'));
    await quarantine.hold(held('q2', '2026-11-24T11:00:00.000Z'));
    expect(await quarantine.hold({ ...held('q1', '2026-11-24T12:00:00.000Z'), reasons: [] })).toMatchObject({
      quarantinedAt: '2026-11-24T10:00:00.000Z',
    });
    const page = await quarantine.list('quarantined', { limit: 1 });
    expect(page.items.map((q) => q.id)).toEqual(['q2']);
    expect(
      (await quarantine.list('quarantined', { cursor: page.cursor as string })).items.map((q) => q.id),
    ).toEqual(['q1']);

    const by = { kind: 'agent', id: 'm1', role: 'manager' } as const;
    const [a, b] = await Promise.all([
      quarantine.release('q1', { by, at: '2026-11-24T12:00:00.000Z' }),
      quarantine.release('q1', { by: { ...by, id: 'm2' }, at: '2026-11-24T12:00:01.000Z' }),
    ]);
    expect(a?.released).toEqual(b?.released);
    await quarantine.recordOutcome('q1', { disposition: 'new', complaintId: 'c-9' });
    expect(await quarantine.get('q1')).toMatchObject({ status: 'released', outcome: { complaintId: 'c-9' } });
    expect((await quarantine.list('quarantined')).items.map((q) => q.id)).toEqual(['q2']);
    expect((await quarantine.list('released')).items.map((q) => q.id)).toEqual(['q1']);
    expect(await quarantine.release('nope', { by, at: '2026-11-24T12:00:00.000Z' })).toBeUndefined();
  });
});

describe('bounce filing and undeliverable marks', () => {
  it('lets one timeline entry file the bounce of a mail, again on its redelivery, never a second one', async () => {
    await ledger.recordOutboundMail('ses-bounced', { complaintId: 'c-7', mailId: 'c-7-ack' });
    expect(await ledger.claimBounceFiling('ses-bounced', 'ses-bounce-ses-bounced')).toBe(true);
    expect(await ledger.claimBounceFiling('ses-bounced', 'ses-bounce-ses-bounced')).toBe(true);
    expect(await ledger.claimBounceFiling('ses-bounced', 'c-7-in-0123456789abcdef')).toBe(false);
    expect(await ledger.findOutboundMail('ses-bounced')).toMatchObject({ complaintId: 'c-7' });
    // A mail known by its SES tags only has no record to claim on: filed, and no record is made up.
    expect(await ledger.claimBounceFiling('ses-unrecorded', 'x')).toBe(true);
    expect(await ledger.findOutboundMail('ses-unrecorded')).toBeUndefined();
  });

  it('clears an undeliverable mark, and clearing it again is a no-op', async () => {
    const mark = {
      reason: 'Permanent bounce',
      eventType: 'Bounce' as const,
      sesMessageId: 'ses-b',
      at: '2026-11-24T10:00:00.000Z',
      complaintId: 'c-8',
    };
    await ledger.markUndeliverable('gone@example.org', mark);
    expect(await ledger.findUndeliverable('gone@example.org')).toEqual(mark);
    await ledger.clearUndeliverable('gone@example.org');
    await ledger.clearUndeliverable('gone@example.org');
    expect(await ledger.findUndeliverable('gone@example.org')).toBeUndefined();
  });
});

describe('the weekly digest on the outbound ledger', () => {
  const reports: ReportStore = {
    applyAll: async (events) => events.map(() => ({ counted: true })),
    counters: async () => [],
    counterPage: async () => ({ items: [] }),
  };
  const digestDeps = (fail = 0) => {
    const sent: OutboundMail[] = [];
    let calls = 0;
    const mailer = {
      send: async (m: OutboundMail) => {
        if (++calls <= fail) throw new Error('SES refused');
        sent.push(m);
        return `ses-digest-${calls}`;
      },
    };
    return {
      sent,
      deps: { reports, mailer, ledger, sendLeaseSeconds: 45, recipients: ['product@acme.test'] },
    };
  };
  const at = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000);

  it('mails a week once when two runs race and when it runs again later', async () => {
    const { sent, deps } = digestDeps();
    const monday = '2026-12-07T06:00:00Z';
    const runs = await Promise.allSettled([
      sendWeeklyDigest(deps, at(monday)),
      sendWeeklyDigest(deps, at(monday)),
    ]);
    expect(sent).toHaveLength(1);
    const done = runs.flatMap((r) => (r.status === 'fulfilled' ? [r.value.status] : []));
    expect(done).toContain('sent');
    for (const r of runs)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OutboundMailInFlightError);

    const again = await sendWeeklyDigest(deps, at(monday, 3600));
    expect(again).toMatchObject({ week: '2026-11-30', status: 'already_sent', sesMessageId: 'ses-digest-1' });
    expect(sent).toHaveLength(1);
    // The next week is a digest of its own.
    expect((await sendWeeklyDigest(deps, at(monday, 7 * 86_400))).status).toBe('sent');
    expect(sent.map((m) => m.subject)).toEqual([
      'Complaints insights, week of 2026-11-30',
      'Complaints insights, week of 2026-12-07',
    ]);
  });

  it('takes over the lease of a run killed mid-send once it expires, and sends once', async () => {
    const { sent, deps } = digestDeps();
    const monday = '2027-01-04T06:00:00Z';
    // A run took the week's lease and died before (or while) sending.
    expect((await ledger.beginOutbound(digestMailId('2026-12-28'), at(monday), 45)).state).toBe('acquired');
    await expect(sendWeeklyDigest(deps, at(monday, 10))).rejects.toBeInstanceOf(OutboundMailInFlightError);
    expect(sent).toHaveLength(0);
    expect(await sendWeeklyDigest(deps, at(monday, 50))).toMatchObject({
      week: '2026-12-28',
      status: 'sent',
    });
    expect((await sendWeeklyDigest(deps, at(monday, 60))).status).toBe('already_sent');
    expect(sent).toHaveLength(1);
  });

  it('lets the next run send at once after SES refused the mail', async () => {
    const { sent, deps } = digestDeps(1);
    const monday = '2027-02-01T06:00:00Z';
    await expect(sendWeeklyDigest(deps, at(monday))).rejects.toThrow('SES refused');
    expect(await sendWeeklyDigest(deps, at(monday, 1))).toMatchObject({ status: 'sent' });
    expect(sent).toHaveLength(1);
  });
});
