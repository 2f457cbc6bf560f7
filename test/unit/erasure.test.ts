import { describe, expect, it } from 'vitest';
import { type ErasureDeps, eraseCustomer } from '../../functions/application/customerErasure';
import type { Complaint, MessageEntry, TimelineEntry } from '../../functions/core/complaint';
import {
  eraseComplaint,
  erasedArrival,
  eraseEntry,
  eraseInboundClaim,
  eraseQuarantinedMail,
  isErased,
  isPseudonym,
  pseudonymFor,
  recurringWindowsOf,
  storedObjectKeys,
} from '../../functions/core/erasure';
import { ConflictError } from '../../functions/core/errors';
import type { QuarantinedMail } from '../../functions/core/mail/filing';

const email = 'Ann.Lee@example.org';
const pseudonym = pseudonymFor(email);
const at = '2026-11-23T09:00:00Z';
const inbound: TimelineEntry = {
  kind: 'message',
  id: 'm1',
  at,
  direction: 'inbound',
  from: 'Ann Lee <ann.lee@example.org>',
  to: ['support@example.com'],
  subject: 'My order 1234',
  text: 'I live at 1 Main Street.',
  rawMailKey: 'inbound/abc',
  attachments: [
    {
      filename: 'id.pdf',
      contentType: 'application/pdf',
      size: 3,
      checksum: 'x',
      key: 'attachments/abc/1-id.pdf',
    },
  ],
};
const audit: TimelineEntry = {
  kind: 'audit',
  id: 'a1',
  at,
  action: 'intake',
  actor: { kind: 'customer', id: 'ann.lee@example.org', email: 'ann.lee@example.org' },
  toStatus: 'received',
  version: 1,
  details: { recipient: 'ANN.LEE@example.org' },
};

describe('GDPR erasure rules', () => {
  it('maps an address to one stable pseudonym that cannot receive mail', () => {
    expect(pseudonym).toMatch(/^erased-[0-9a-f]{16}@invalid$/);
    expect(pseudonymFor(' ann.lee@EXAMPLE.org ')).toBe(pseudonym);
    expect(pseudonymFor('bob@example.org')).not.toBe(pseudonym);
  });

  it('erases message content and stored objects, and pseudonymises audit events without dropping them', () => {
    expect(storedObjectKeys([inbound, audit])).toEqual(['inbound/abc', 'attachments/abc/1-id.pdf']);
    const message = eraseEntry(inbound, email, pseudonym);
    expect(message).toMatchObject({ subject: '[erased]', text: '[erased]', from: `Ann Lee <${pseudonym}>` });
    expect(message).not.toHaveProperty('rawMailKey');
    expect(message).not.toHaveProperty('attachments');
    const kept = eraseEntry(audit, email, pseudonym);
    expect(kept).toMatchObject({
      kind: 'audit',
      action: 'intake',
      actor: { id: pseudonym, email: pseudonym },
    });
    expect(JSON.stringify(kept)).not.toMatch(/ann\.lee@/i);
  });

  it('finds nothing left to erase the second time', () => {
    const once = [inbound, audit].map((e) => eraseEntry(e, email, pseudonym) as TimelineEntry);
    expect(once.map((e) => eraseEntry(e, email, pseudonym))).toEqual([undefined, undefined]);
  });

  it('pseudonymises the complaint with an audit event, whatever its status', () => {
    const complaint = {
      id: 'c'.repeat(26),
      reference: 'CMP-4F7K2Q',
      status: 'closed',
      tier: 1,
      priority: 'normal',
      customerEmail: 'ann.lee@example.org',
      customerName: 'Ann Lee',
      subject: 'My order 1234',
      threadToken: 't',
      createdAt: at,
      updatedAt: at,
      version: 7,
    } satisfies Complaint;
    const manager = { kind: 'agent' as const, id: 'boss', role: 'manager' as const };
    const result = eraseComplaint(complaint, email, manager, new Date(at), {
      messagesErased: 1,
      objectsDeleted: 2,
    });
    expect(result.complaint).toMatchObject({
      customerEmail: pseudonym,
      subject: '[erased]',
      status: 'closed',
      version: 8,
    });
    expect(result.complaint).not.toHaveProperty('customerName');
    expect(result.audit).toMatchObject({
      action: 'erase',
      details: { messagesErased: 1, objectsDeleted: 2 },
    });
  });

  it('erases a held mail (or SES event): summary text, attachment names and address go, reasons and verdicts stay', () => {
    const held: QuarantinedMail = {
      id: 'q1',
      status: 'quarantined',
      reasons: [{ code: 'spam', detail: 'SES spam verdict FAIL' }],
      delivery: {
        sesMessageId: 'ses-1',
        rawMailKey: 'inbound/ses-1',
        receivedAt: at,
        source: 'ann.lee@example.org',
        recipients: ['support@example.com'],
        verdicts: { spam: 'FAIL', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      },
      summary: {
        from: 'ann.lee@example.org',
        to: ['support@example.com'],
        subject: 'Refund for Ann Lee',
        sizeBytes: 900,
        attachments: [{ filename: 'passport.jpg', contentType: 'image/jpeg', size: 400 }],
        preview: 'Please refund me, Ann.',
      },
      quarantinedAt: at,
    };
    const actor = { kind: 'agent' as const, id: 'm1', role: 'manager' as const };
    const erased = eraseQuarantinedMail(held, email, actor, new Date(at));
    expect(JSON.stringify(erased).toLowerCase()).not.toContain(email.toLowerCase());
    expect(JSON.stringify(erased)).not.toMatch(/Ann|passport/);
    expect(erased).toMatchObject({
      status: 'erased',
      reasons: held.reasons,
      delivery: { source: pseudonym, verdicts: held.delivery.verdicts },
      summary: { subject: '[erased]', preview: '[erased]', attachments: [{ size: 400 }] },
      erased: { by: actor, at: new Date(at).toISOString() },
    });
    const heldEvent: QuarantinedMail = {
      ...held,
      delivery: { ...held.delivery, rawMailKey: '' },
      summary: { ...held.summary, attachments: [] },
      sesEvent: {
        notification: `{"eventType":"Bounce","mail":{"commonHeaders":{"subject":"Refund for Ann Lee","to":["${email}"]}}}`,
        address: email,
      },
    };
    const erasedEvent = eraseQuarantinedMail(heldEvent, email, actor, new Date(at));
    expect(JSON.stringify(erasedEvent)).not.toMatch(/Ann/);
    expect(erasedEvent.sesEvent).toEqual({ notification: '[erased]', address: pseudonym });
  });

  it('pseudonymises an inbound claim and finds the recurring-issue windows a complaint was counted in', () => {
    const claim = {
      dedupeKey: 'mid:<1@example.org>|from:ann.lee@example.org',
      messageId: '<1@example.org>',
      complaintId: 'c1',
      disposition: 'new' as const,
      sender: 'ann.lee@example.org',
      receivedAt: at,
      rawMailKey: 'inbound/ses-1',
      sesMessageId: 'ses-1',
      contentDigest: 'd',
    };
    expect(eraseInboundClaim(claim, email)).toEqual({
      ...claim,
      sender: pseudonym,
      dedupeKey: `mid:<1@example.org>|from:${pseudonym}`,
    });
    const investigated = (window: string): TimelineEntry => ({
      ...audit,
      action: 'startInvestigation',
      details: { recurringWindow: window },
    });
    expect(
      recurringWindowsOf([audit, investigated('delivery#2026-11-23'), investigated('delivery#2026-11-23')]),
    ).toEqual(['delivery#2026-11-23']);
  });
});

describe('mail arriving on an erased complaint', () => {
  const robots = (address: string) => /^(mailer-daemon|support)@/i.test(address);

  it('tells an erased complaint by its pseudonym', () => {
    expect(isErased({ customerEmail: pseudonym })).toBe(true);
    expect(isErased({ customerEmail: 'ann.lee@example.org' })).toBe(false);
    expect(isPseudonym('erased-123@invalid')).toBe(false);
  });

  it('records a bounce as the erasure leaves a message: kind, time, delivery status; no text, raw mail or address', () => {
    const bounce: MessageEntry = {
      kind: 'message',
      id: 'c1-in-1',
      at,
      direction: 'inbound',
      messageId: 'dsn-1@mx.receiver.example',
      from: 'mailer-daemon@mx.receiver.example',
      to: ['support@example.com'],
      subject: 'Undeliverable: My order 1234',
      text: `Your message to ${email} (Ann Lee) could not be delivered.`,
      rawMailKey: 'inbound/dsn',
      purpose: 'bounce',
      attachments: [
        { contentType: 'message/delivery-status', size: 90, checksum: 'x', key: 'attachments/dsn/1' },
      ],
      automated: [
        'Null Return-Path (<>)',
        'System sender mailer-daemon@mx.receiver.example',
        `X-Loop: ${email}`,
      ],
      deliveryFailure: {
        sesMessageId: 'ses-1',
        recipient: email.toLowerCase(),
        status: '5.1.1',
        diagnostic: `smtp; 550 5.1.1 <${email}>: user unknown`,
      },
    };
    const entry = erasedArrival(bounce, robots);
    expect(entry).toEqual({
      kind: 'message',
      id: 'c1-in-1',
      at,
      direction: 'inbound',
      messageId: 'dsn-1@mx.receiver.example',
      from: 'mailer-daemon@mx.receiver.example',
      to: ['support@example.com'],
      subject: '[erased]',
      text: '[erased]',
      purpose: 'bounce',
      automated: [
        'Null Return-Path (<>)',
        'System sender mailer-daemon@mx.receiver.example',
        `X-Loop: ${pseudonym}`,
      ],
      deliveryFailure: {
        sesMessageId: 'ses-1',
        recipient: pseudonym,
        status: '5.1.1',
        diagnostic: `smtp; 550 5.1.1 <${pseudonym}>: user unknown`,
      },
    });
    // What the erasure would do to it finds nothing more.
    expect(eraseEntry(entry, email, pseudonym)).toBeUndefined();
  });

  it('pseudonymises the customer’s out-of-office: sender, other people on it, the address in its Message-ID', () => {
    const outOfOffice: MessageEntry = {
      kind: 'message',
      id: 'c1-in-2',
      at,
      direction: 'inbound',
      messageId: `1700000000.${email}`,
      from: email.toLowerCase(),
      to: ['support@example.com', 'Bob.Lee@example.org'],
      subject: 'Out of office',
      text: 'Away until Monday.',
      rawMailKey: 'inbound/ooo',
      purpose: 'customer',
      automated: ['Auto-Submitted: auto-replied'],
    };
    const entry = erasedArrival(outOfOffice, robots);
    expect(entry).toMatchObject({
      from: pseudonym,
      to: ['support@example.com', pseudonymFor('bob.lee@example.org')],
      messageId: `1700000000.${pseudonym}`,
      subject: '[erased]',
      text: '[erased]',
      automated: ['Auto-Submitted: auto-replied'],
    });
    expect(entry).not.toHaveProperty('rawMailKey');
    expect(JSON.stringify(entry)).not.toMatch(/lee@example/i);
  });
});

describe('eraseCustomer', () => {
  const manager = { kind: 'agent' as const, id: 'boss', role: 'manager' as const };
  /** The erasure's dependencies around a complaint store: no claims, quarantined mail or raw mail. */
  const withStore = (store: object) =>
    ({
      store,
      ledger: {
        claimsFromSender: async () => [],
        replaceErasedClaim: async () => undefined,
        markRawMailErased: async () => undefined,
        forgetAutomaticMail: async () => undefined,
      },
      quarantine: { fromSender: async () => [], replaceErased: async () => undefined },
      rawMail: { delete: async () => undefined },
      settings: { rawMailBucket: 'raw' },
    }) as unknown as ErasureDeps;
  /** Ann's complaint at version 4, in the status a test needs. */
  const annsComplaint = (status: Complaint['status']): Complaint => ({
    id: 'c'.repeat(26),
    reference: 'CMP-4F7K2Q',
    status,
    tier: 1,
    priority: 'normal',
    customerEmail: 'ann.lee@example.org',
    subject: 'My order 1234',
    threadToken: 't',
    createdAt: at,
    updatedAt: at,
    version: 4,
  });

  it('erases the timeline again when the complaint was written meanwhile: nothing that write added keeps the address', async () => {
    const complaint = annsComplaint('deciding');
    // The customer's reply taken as their decision: its audit names them, and is written with the
    // complaint in one transaction.
    const customerDecision: TimelineEntry = {
      ...audit,
      id: 'a2',
      action: 'acceptDecision',
      actor: { kind: 'customer', id: 'ann.lee@example.org', email: 'ann.lee@example.org' },
      toStatus: 'deciding',
      version: 5,
    };
    let current: Complaint = complaint;
    const timeline = new Map<string, TimelineEntry>([[inbound.id, inbound]]);
    let workflowWrote = false;
    const store = {
      byCustomer: async () => ({ items: [complaint] }),
      timeline: async () => [...timeline.values()],
      rewriteTimeline: async (_id: string, entries: TimelineEntry[]) => {
        for (const e of entries) timeline.set(e.id, e);
        // Between the rewrite and the erasure's write of the complaint, the customer's reply is taken.
        if (!workflowWrote) {
          workflowWrote = true;
          current = { ...current, status: 'deciding', version: 5 };
          timeline.set(customerDecision.id, customerDecision);
        }
      },
      pseudonymiseCategoryOccurrence: async () => undefined,
      get: async () => current,
      save: async (next: Complaint) => {
        if (next.version !== current.version + 1) throw new ConflictError('stale');
        current = next;
      },
    };

    const summary = await eraseCustomer(withStore(store), email, manager, new Date(at));

    expect(current).toMatchObject({ customerEmail: pseudonym, status: 'deciding', version: 6 });
    expect(JSON.stringify([...timeline.values()])).not.toMatch(/ann\.lee@|1 Main Street/i);
    expect(timeline.get(customerDecision.id)).toMatchObject({ actor: { id: pseudonym, email: pseudonym } });
    expect(summary).toMatchObject({ complaints: 1, messagesErased: 1 });
  });

  it('erases a mail recorded while the erasure ran, whose check found the complaint not yet erased', async () => {
    const complaint = annsComplaint('awaiting_agent');
    // The agent's reply: SES took it as the erasure began, and its record (MailLedger.completeOutbound)
    // committed between the erasure's timeline pass and its write of the complaint, which still had
    // the address: its check passed, and it writes no complaint version the erasure's save could fail on.
    const reply: TimelineEntry = {
      kind: 'message',
      id: 'reply-1',
      at,
      direction: 'outbound',
      from: 'support@example.com',
      to: ['ann.lee@example.org'],
      subject: 'Re: My order 1234',
      text: 'Dear Ann Lee, we will call you at 1 Main Street.',
      purpose: 'reply',
    };
    let current: Complaint = complaint;
    const timeline = new Map<string, TimelineEntry>([[inbound.id, inbound]]);
    const store = {
      byCustomer: async () => ({ items: [complaint] }),
      timeline: async () => [...timeline.values()],
      rewriteTimeline: async (_id: string, entries: TimelineEntry[]) => {
        for (const e of entries) timeline.set(e.id, e);
        if (!timeline.has(reply.id) && current.customerEmail === complaint.customerEmail)
          timeline.set(reply.id, reply);
      },
      pseudonymiseCategoryOccurrence: async () => undefined,
      get: async () => current,
      save: async (next: Complaint) => {
        if (next.version !== current.version + 1) throw new ConflictError('stale');
        current = next;
      },
    };

    const summary = await eraseCustomer(withStore(store), email, manager, new Date(at));

    expect(current).toMatchObject({ customerEmail: pseudonym, version: 5 });
    expect(JSON.stringify([...timeline.values()])).not.toMatch(/ann\.lee@|1 Main Street/i);
    expect(timeline.get(reply.id)).toMatchObject({ to: [pseudonym], text: '[erased]' });
    expect(summary).toMatchObject({ complaints: 1, messagesErased: 2 });
  });

  it('leaves a complaint a concurrent erasure of the address wrote to that erasure: one erase audit, counted once', async () => {
    const complaint = annsComplaint('awaiting_agent');
    // The other request's erasure committed between this one's read and its write.
    const erasedByOther: Complaint = {
      ...complaint,
      customerEmail: pseudonym,
      subject: '[erased]',
      version: 5,
    };
    const saved: Complaint[] = [];
    const deps = withStore({
      byCustomer: async () => ({ items: [complaint] }),
      timeline: async () => [],
      rewriteTimeline: async () => undefined,
      pseudonymiseCategoryOccurrence: async () => undefined,
      get: async () => erasedByOther,
      save: async (next: Complaint) => {
        if (next.version !== erasedByOther.version + 1) throw new ConflictError('stale');
        saved.push(next);
      },
    });

    expect(await eraseCustomer(deps, email, manager, new Date(at))).toMatchObject({ complaints: 0 });
    expect(saved).toEqual([]);
  });
});
