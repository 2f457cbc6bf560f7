import { describe, expect, it } from 'vitest';
import type { Deps } from '../../functions/application/deps';
import { fileReleasedMail } from '../../functions/application/intake/fileReleasedMail';
import { receiveMail } from '../../functions/application/intake/receiveMail';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { pseudonymFor } from '../../functions/core/erasure';
import type {
  InboundClaim,
  InboundDelivery,
  QuarantinedMail,
  RawMailErasure,
} from '../../functions/core/mail/filing';
import { testSettings } from '../support/settings';

/**
 * Mail on an erased customer's thread arriving twice: the sender's server retried over SMTP, so SES
 * stored it twice and intake got two deliveries (two raw-mail keys) of one mail. The first delivery
 * records the arrival erased and pseudonymises the mail's claim; the second finds that claim and must
 * land on the same timeline entry, not a second one.
 */
const customer = 'ann@example.org';
const now = new Date('2026-11-23T10:00:00Z');
const erased: Complaint = {
  id: 'e'.repeat(26),
  reference: 'CMP-4F7K2Q',
  status: 'closed',
  tier: 1,
  priority: 'normal',
  customerEmail: pseudonymFor(customer),
  subject: '[erased]',
  threadToken: 'erasedtoken1',
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  version: 9,
};
const outOfOffice = Buffer.from(
  [
    `From: Ann <${customer}>`,
    'To: support@support.localhost',
    'Subject: Out of office: Broken kettle',
    'Message-ID: <ooo-1@example.org>',
    'In-Reply-To: <ack-1@email.amazonses.com>',
    'Auto-Submitted: auto-replied',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Away until Monday.',
    '',
  ].join('\r\n'),
);

function fakeDeps() {
  const raw = new Map<string, Buffer>([
    ['inbound/ses-1', outOfOffice],
    ['inbound/ses-2', outOfOffice],
  ]);
  const claims = new Map<string, InboundClaim>();
  const rawMailErased = new Map<string, RawMailErasure>();
  const timeline: TimelineEntry[] = [];
  const keyOf = (k: Pick<InboundClaim, 'dedupeKey' | 'messageId'>) => `${k.messageId}|${k.dedupeKey}`;
  const deps = {
    settings: testSettings({ rawMailBucket: 'raw', logLevel: 'ERROR' }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    clock: () => now,
    rawMail: {
      get: async (_bucket: string, key: string) => {
        const found = raw.get(key);
        if (!found) throw new Error(`no raw mail ${key}`);
        return found;
      },
      delete: async (_bucket: string, key: string) => void raw.delete(key),
    },
    store: {
      get: async (id: string) => (id === erased.id ? erased : undefined),
      findIdByOutbound: async (sesMessageId: string) => (sesMessageId === 'ack-1' ? erased.id : undefined),
      findIdByThreadToken: async () => undefined,
      findIdByReference: async () => undefined,
      append: async (_id: string, entries: TimelineEntry[]) => {
        for (const e of entries) if (!timeline.some((t) => t.id === e.id)) timeline.push(e);
      },
    },
    ledger: {
      findInboundClaim: async (k: Pick<InboundClaim, 'dedupeKey' | 'messageId'>) => claims.get(keyOf(k)),
      claimInbound: async (claim: InboundClaim) => {
        const existing = claims.get(keyOf(claim));
        if (existing) return existing;
        claims.set(keyOf(claim), claim);
        return claim;
      },
      replaceErasedClaim: async (original: InboundClaim, next: InboundClaim) =>
        void claims.set(keyOf(original), next),
      findIdByInboundMessageId: async () => undefined,
      claimBounceFiling: async () => true,
      markRawMailErased: async (key: string, erasure: RawMailErasure) => void rawMailErased.set(key, erasure),
      findRawMailErasure: async (key: string) => rawMailErased.get(key),
    },
  };
  return { deps: deps as unknown as Deps, timeline, claims, raw };
}

const delivery = (n: number): InboundDelivery => ({
  sesMessageId: `ses-${n}`,
  rawMailKey: `inbound/ses-${n}`,
  source: customer,
  recipients: ['support@support.localhost'],
  receivedAt: now.toISOString(),
  verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
});

describe('mail on an erased complaint’s thread, delivered twice', () => {
  it('is recorded once, and no claim or entry keeps the address', async () => {
    const { deps, timeline, claims } = fakeDeps();
    expect(await receiveMail(deps, delivery(1))).toMatchObject({ disposition: 'erased' });
    expect(await receiveMail(deps, delivery(2))).toMatchObject({ disposition: 'erased' });
    expect(timeline).toHaveLength(1);
    expect(JSON.stringify(timeline)).not.toContain(customer);
    expect(JSON.stringify([...claims.values()])).not.toContain(customer);
  });

  it('a delivery that comes again after its raw mail was deleted finds the deletion recorded, not a missing object', async () => {
    const { deps, timeline, raw } = fakeDeps();
    await receiveMail(deps, delivery(1));
    expect(raw.has('inbound/ses-1')).toBe(false);
    // Lambda delivers the same event again (at least once): nothing to file, nothing fails.
    expect(await receiveMail(deps, delivery(1))).toEqual({
      disposition: 'raw_mail_erased',
      erasedAt: now.toISOString(),
      complaintId: erased.id,
    });
    expect(timeline).toHaveLength(1);
    // A raw mail missing without such a record still fails the delivery (retried, then dead-lettered).
    await expect(receiveMail(deps, { ...delivery(3), rawMailKey: 'inbound/ses-3' })).rejects.toThrow(
      'no raw mail inbound/ses-3',
    );
  });
});

describe('mail on an erased complaint’s thread, held in quarantine and released', () => {
  it('leaves no personal data on the quarantine record once filed erased', async () => {
    const { deps, timeline } = fakeDeps();
    const held: QuarantinedMail = {
      id: 'q'.repeat(26),
      status: 'released',
      reasons: [{ code: 'spam', detail: 'SES spam verdict FAIL' }],
      delivery: delivery(1),
      summary: {
        from: customer,
        to: ['support@support.localhost'],
        subject: 'Out of office: Broken kettle',
        messageId: 'ooo-1@example.org',
        sizeBytes: outOfOffice.length,
        attachments: [],
        preview: 'Away until Monday.',
      },
      quarantinedAt: now.toISOString(),
      released: { by: { kind: 'agent', id: 'manager-1', role: 'manager' }, at: now.toISOString() },
    } as QuarantinedMail;
    let record = held;
    (deps as { quarantine: unknown }).quarantine = {
      get: async () => record,
      recordOutcome: async (_id: string, outcome: QuarantinedMail['outcome']) => {
        record = { ...record, outcome } as QuarantinedMail;
      },
      replaceErased: async (mail: QuarantinedMail) => {
        record = mail;
      },
    };
    expect(await fileReleasedMail(deps, held.id)).toMatchObject({ disposition: 'erased' });
    expect(timeline).toHaveLength(1);
    expect(record).toMatchObject({ status: 'erased', outcome: { disposition: 'erased' } });
    expect(JSON.stringify(record)).not.toContain(customer);
    expect(JSON.stringify(record)).not.toContain('Away until Monday');
  });
});
