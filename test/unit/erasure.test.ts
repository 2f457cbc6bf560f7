import { describe, expect, it } from 'vitest';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { eraseComplaint, eraseEntry, pseudonymFor, storedObjectKeys } from '../../functions/core/erasure';

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
});
