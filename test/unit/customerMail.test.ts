import { describe, expect, it } from 'vitest';
import type {
  AddressMark,
  ComplaintStore,
  Mailer,
  MailLedger,
  OutboundIntent,
  OutboundMail,
} from '../../functions/adapters/ports';
import {
  type CustomerMailOptions,
  mailCustomer,
  OutboundMailInFlightError,
} from '../../functions/application/customerMail';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { testSettings } from '../support/settings';

/** The ledger's intent and counter semantics in memory (the DynamoDB one is exercised by the integration tests). */
function memoryLedger(outbound = new Map<string, string>(), entries: TimelineEntry[] = []): MailLedger {
  const intents = new Map<
    string,
    { state: string; at: string; lease: string; leaseUntil: number; value?: string }
  >();
  const counters = new Map<string, number>();
  const undeliverable = new Map<string, AddressMark>();
  let leases = 0;
  const unused = () => Promise.reject(new Error('not used here'));
  return {
    findInboundClaim: unused,
    claimInbound: unused,
    findIdByInboundMessageId: unused,
    forgetAutomaticMail: unused,
    claimsFromSender: unused,
    replaceErasedClaim: unused,
    markRawMailErased: unused,
    findRawMailErasure: unused,
    async beginOutbound(id, now, leaseSeconds): Promise<OutboundIntent> {
      const lease = `lease-${++leases}`;
      const leaseUntil = now.getTime() + leaseSeconds * 1000;
      const current = intents.get(id);
      if (!current) {
        intents.set(id, { state: 'sending', at: now.toISOString(), lease, leaseUntil });
        return { state: 'acquired', lease, at: now.toISOString() };
      }
      if (current.state === 'sent')
        return { state: 'sent', sesMessageId: current.value as string, at: current.at };
      if (current.state === 'suppressed')
        return { state: 'suppressed', reason: current.value as string, at: current.at };
      if (current.leaseUntil > now.getTime()) return { state: 'busy' };
      Object.assign(current, { lease, leaseUntil });
      return { state: 'acquired', lease, at: current.at };
    },
    // Always refused: these tests follow the step-by-step path (the one-write path runs on DynamoDB Local).
    beginAutomaticOutbound: async () => undefined,
    async completeOutbound(id, lease, result) {
      const current = intents.get(id);
      if (current?.lease !== lease) return false;
      if ('sesMessageId' in result && result.complaintId && result.entry) {
        outbound.set(result.sesMessageId, result.complaintId);
        entries.push(result.entry);
      }
      Object.assign(
        current,
        'sesMessageId' in result
          ? { state: 'sent', value: result.sesMessageId }
          : { state: 'suppressed', value: result.suppressed },
      );
      return true;
    },
    async abandonOutbound(id, lease) {
      const current = intents.get(id);
      if (current?.lease === lease) current.leaseUntil = 0;
    },
    async recordOutboundMail(sesMessageId, record) {
      outbound.set(sesMessageId, record.complaintId);
    },
    findOutboundMail: unused,
    claimBounceFiling: unused,
    async markUndeliverable(address, mark) {
      undeliverable.set(address, mark);
      return true;
    },
    async findUndeliverable(address) {
      return undeliverable.get(address);
    },
    async clearUndeliverable(address) {
      undeliverable.delete(address);
    },
    async countAutomaticMail(recipient, windowStart) {
      const key = `${recipient}#${windowStart}`;
      counters.set(key, (counters.get(key) ?? 0) + 1);
      return counters.get(key) as number;
    },
  };
}

/** The undeliverable mark a permanent bounce left. */
const bounceMark = (reason: string) => ({
  reason,
  eventType: 'Bounce' as const,
  sesMessageId: 'ses-0',
  at: '2026-11-24T09:00:00.000Z',
});

function harness(send: (mail: OutboundMail) => Promise<string> = async () => `ses-${Math.random()}`) {
  const entries: TimelineEntry[] = [];
  const outbound = new Map<string, string>();
  const sent: OutboundMail[] = [];
  const store = {
    append: async (_id: string, added: TimelineEntry[]) => {
      for (const e of added) if (!entries.some((x) => x.id === e.id && x.at === e.at)) entries.push(e);
      return true;
    },
    timeline: async () => entries,
  } as unknown as ComplaintStore;
  const mailer: Mailer = {
    send: async (mail) => {
      sent.push(mail);
      return send(mail);
    },
  };
  const settings = testSettings({ autoMailCap: 3, autoMailWindowSeconds: 600, sendLeaseSeconds: 45 });
  const ledger = memoryLedger(outbound, entries);
  const deps = { store, mailer, ledger, settings };
  return { deps, ledger, entries, outbound, sent };
}

const complaint = (email = 'ann@example.org') =>
  ({
    id: 'c1',
    reference: 'CMP-4F7K2Q',
    status: 'received',
    version: 1,
    customerEmail: email,
    threadToken: 'tok123',
    subject: 'Late',
  }) as Complaint;
const rendered = { subject: 'Re: Late [CMP-4F7K2Q]', text: 'We got it.', html: '<p>We got it.</p>' };
const options = (entryId: string, overrides: Partial<CustomerMailOptions> = {}): CustomerMailOptions => ({
  purpose: 'acknowledgement',
  automatic: true,
  entryId,
  now: new Date('2026-11-24T10:00:00Z'),
  supportAddress: 'support@shop.example',
  mailDomain: 'shop.example',
  inReplyTo: 'first@example.org',
  ...overrides,
});

describe('mailCustomer', () => {
  it('sends with the reply-to token, threading and loop-guard headers, and records the SES MessageId', async () => {
    const h = harness(async () => 'ses-1');
    expect(await mailCustomer(h.deps, complaint(), rendered, options('c1-ack'))).toEqual({
      status: 'sent',
      sesMessageId: 'ses-1',
    });
    expect(h.sent[0]).toMatchObject({
      to: ['ann@example.org'],
      replyTo: ['support+tok123@shop.example'],
      headers: {
        'X-Complaints-Loop': 'shop.example',
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        'In-Reply-To': '<first@example.org>',
      },
    });
    expect(h.outbound.get('ses-1')).toBe('c1');
    expect(h.entries).toMatchObject([{ id: 'c1-ack', direction: 'outbound', messageId: 'ses-1' }]);
  });

  it('sends once for concurrent and repeated calls with the same entry id', async () => {
    const h = harness(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return 'ses-once';
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => mailCustomer(h.deps, complaint(), rendered, options('c1-ack'))),
    );
    expect(h.sent).toHaveLength(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(OutboundMailInFlightError);
    // A retry after the mail went out records it again (idempotently) and sends nothing.
    expect(await mailCustomer(h.deps, complaint(), rendered, options('c1-ack'))).toMatchObject({
      sesMessageId: 'ses-once',
    });
    expect(h.sent).toHaveLength(1);
    expect(h.entries).toHaveLength(1);
  });

  it('lets a retry send at once after SES failed, without a duplicate', async () => {
    let calls = 0;
    const h = harness(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Throttling'), { name: 'TooManyRequestsException' });
      return 'ses-2';
    });
    await expect(
      mailCustomer(h.deps, complaint(), rendered, options('c1-res', { automatic: false })),
    ).rejects.toThrow('Throttling');
    expect(
      await mailCustomer(h.deps, complaint(), rendered, options('c1-res', { automatic: false })),
    ).toEqual({
      status: 'sent',
      sesMessageId: 'ses-2',
    });
    expect(h.entries.map((e) => e.id)).toEqual(['c1-res']);
  });

  it('leaves the entry of a mail found sent as it is: an erasure since is not undone by a caller that read before it', async () => {
    const h = harness(async () => 'ses-erased');
    await mailCustomer(h.deps, complaint(), rendered, options('c1-reply', { automatic: false }));
    // The customer is erased: the recorded entry is rewritten in place (the store's append puts the
    // entry under its key, as `rewriteTimeline` does).
    const erased = { ...(h.entries[0] as TimelineEntry), to: ['erased-x@invalid'], text: '[erased]' };
    h.entries.splice(0, 1, erased as TimelineEntry);
    const store = {
      append: async (_id: string, added: TimelineEntry[]) => {
        for (const e of added)
          h.entries.splice(
            h.entries.findIndex((x) => x.id === e.id && x.at === e.at),
            1,
            e,
          );
        return true;
      },
    } as unknown as ComplaintStore;
    // A caller that read the complaint (and a timeline without the entry) before the mail was recorded
    // and the erasure ran finds it sent.
    expect(
      await mailCustomer(
        { ...h.deps, store },
        complaint(),
        rendered,
        options('c1-reply', { automatic: false }),
      ),
    ).toMatchObject({ status: 'sent', sesMessageId: 'ses-erased' });
    expect(h.sent).toHaveLength(1);
    expect(h.entries).toEqual([erased]);
  });

  it('takes over the lease of a caller that died mid-send, once it expired (at-least-once)', async () => {
    const h = harness(async () => 'ses-3');
    const t0 = new Date('2026-11-24T10:00:00Z');
    const ledger = h.deps.ledger;
    // A caller took the lease and died before marking the mail sent.
    expect(await ledger.beginOutbound('c1-ack', t0, 45)).toMatchObject({ state: 'acquired' });
    await expect(
      mailCustomer(h.deps, complaint(), rendered, options('c1-ack', { now: t0 })),
    ).rejects.toBeInstanceOf(OutboundMailInFlightError);
    const later = new Date(t0.getTime() + 46_000);
    expect(
      await mailCustomer(h.deps, complaint(), rendered, options('c1-ack', { now: later })),
    ).toMatchObject({
      status: 'sent',
    });
    // Recorded under the first attempt's time, so every attempt writes the same timeline item.
    expect(h.entries).toMatchObject([{ id: 'c1-ack', at: t0.toISOString() }]);
  });

  it('caps automatic mail per recipient and window, recording why on the timeline', async () => {
    const h = harness();
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(await mailCustomer(h.deps, complaint(), rendered, options(`ack-${i}`)));
    expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'suppressed', 'suppressed']);
    expect(h.entries.filter((e) => e.kind === 'audit')).toMatchObject([
      {
        id: 'ack-3-suppressed',
        action: 'automaticMailSuppressed',
        details: { reason: expect.stringMatching(/^cap:/) },
      },
      { id: 'ack-4-suppressed' },
    ]);
    // Mail a person writes is not capped; the next window starts afresh.
    expect(
      await mailCustomer(h.deps, complaint(), rendered, options('agent-reply', { automatic: false })),
    ).toMatchObject({
      status: 'sent',
    });
    const nextWindow = new Date('2026-11-24T10:10:00Z');
    expect(
      await mailCustomer(h.deps, complaint(), rendered, options('ack-5', { now: nextWindow })),
    ).toMatchObject({
      status: 'sent',
    });
  });

  it('never auto-answers automated mail or robot addresses, and stays suppressed on retry', async () => {
    const h = harness();
    const auto = await mailCustomer(
      h.deps,
      complaint(),
      rendered,
      options('ack-auto', { answersAutomatedMail: ['Auto-Submitted: auto-replied'] }),
    );
    expect(auto).toEqual({
      status: 'suppressed',
      reason: expect.stringContaining('Auto-Submitted: auto-replied'),
    });
    expect(
      await mailCustomer(h.deps, complaint('noreply@carrier.example'), rendered, options('ack-robot')),
    ).toEqual({
      status: 'suppressed',
      reason: expect.stringContaining('robot address'),
    });
    expect(await mailCustomer(h.deps, complaint(), rendered, options('ack-auto'))).toMatchObject({
      status: 'suppressed',
    });
    expect(h.sent).toHaveLength(0);
    // The timeline keeps why, with the details; the retry left the entry as it was.
    expect(h.entries.filter((e) => e.id === 'ack-auto-suppressed')).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ reason: expect.stringContaining('Auto-Submitted: auto-replied') }),
      }),
    ]);
  });

  it('keeps on the send-once record only the kind of reason, which names no recipient and quotes no mail', async () => {
    const h = harness();
    const mark = bounceMark('Permanent bounce (General): 5.1.1 smtp; 550 <gone@example.org> unknown');
    const flagged = { ...complaint('gone@example.org'), undeliverable: mark };
    await mailCustomer(h.deps, flagged, rendered, options('reminder-gone'));
    // Asked again (a retried step), the mail is found suppressed by its record alone.
    expect(await mailCustomer(h.deps, flagged, rendered, options('reminder-gone'))).toEqual({
      status: 'suppressed',
      reason: 'undeliverable address',
    });
    const [entry] = h.entries.filter((e) => e.id === 'reminder-gone-suppressed');
    expect(entry).toMatchObject({ details: { reason: expect.stringContaining('<gone@example.org>') } });
  });

  it('sends no automatic mail to an address SES reported undeliverable; mail an agent wrote still goes', async () => {
    const h = harness();
    const mark = bounceMark('Permanent bounce (General): 5.1.1');
    await h.ledger.markUndeliverable('gone@example.org', { ...mark, complaintId: 'c0' });
    expect(await mailCustomer(h.deps, complaint('gone@example.org'), rendered, options('ack-gone'))).toEqual({
      status: 'suppressed',
      reason: expect.stringMatching(/^undeliverable address: Permanent bounce/),
    });
    // The complaint's own flag suffices, without the address record.
    const flagged = { ...complaint(), undeliverable: mark };
    expect(await mailCustomer(h.deps, flagged, rendered, options('reminder-1'))).toMatchObject({
      status: 'suppressed',
    });
    expect(h.entries.map((e) => e.kind === 'audit' && e.action)).toEqual([
      'automaticMailSuppressed',
      'automaticMailSuppressed',
    ]);
    expect(
      await mailCustomer(
        h.deps,
        flagged,
        rendered,
        options('reply-1', { automatic: false, purpose: 'reply' }),
      ),
    ).toMatchObject({ status: 'sent' });
    // SES returns the complaint tag with the mail's events.
    expect(h.sent.map((m) => m.tags)).toEqual([{ complaint: 'c1', mail: 'reply-1' }]);
  });
});
