import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  automatedMailReasons,
  automaticMailBlockedFor,
  automaticMailWindow,
  ownMailOf,
} from '../../functions/core/mail/loopGuard';
import { verdictQuarantineReasons } from '../../functions/core/mail/verdicts';

const person = { 'message-id': '<a@b>', from: 'Ann <ann@example.org>', 'content-type': 'text/plain' };

describe('automatedMailReasons (RFC 3834 and the helpdesk checks)', () => {
  it.each([
    'Automatic reply: Your complaint CMP-4F7K2Q',
    'Out of Office: Re: [CMP-4F7K2Q] We need more information',
    'Out of Office AutoReply: Order 5512',
    'AutoReply: order 5512',
    'Auto-Reply: order 5512',
    '[Auto-Reply] order 5512',
    'Auto Response: Thank you for your message',
    'Abwesenheitsnotiz: Ihre Reklamation',
    'Automatische Antwort: Ihre Reklamation',
    'Réponse automatique\u00a0: Votre réclamation',
    'Reponse automatique: Votre réclamation',
    'Autosvar: Din reklamation',
    'Respuesta automática: Su reclamación',
    'RESPUESTA AUTOMATICA: Su reclamación',
    'Risposta automatica: Il suo reclamo',
    'Automatisch antwoord: Uw klacht',
    'Automatyczna odpowiedź: Reklamacja',
    'Автоматический ответ: Жалоба',
    '自動応答: ご注文について',
    '自动回复：您的投诉',
    '자동 회신: 불만 접수',
  ])('flags the subject of an auto-reply without any header marking it: %s', (subject) => {
    const reasons = automatedMailReasons({ headers: person, from: 'ann@example.org', subject });
    expect(reasons).toEqual([`Subject of an auto-reply: ${subject}`]);
  });

  it.each([
    'Re: Automatic reply: Your complaint CMP-4F7K2Q',
    'AW: Abwesenheitsnotiz: Ihre Reklamation',
    'Fwd: Out of Office: order 5512',
    'My automatic reply settings broke my order',
    'Out of office chair arrived broken',
    'Automatic replying pump: order 5512',
    'Order 5512 - Automatic reply: none received',
    '',
  ])('does not flag a subject a person wrote: %s', (subject) => {
    expect(automatedMailReasons({ headers: person, from: 'ann@example.org', subject })).toEqual([]);
  });

  it('finds nothing in mail a person wrote, nor in Auto-Submitted: no or Precedence: normal', () => {
    expect(
      automatedMailReasons({ headers: person, from: 'ann@example.org', envelopeSender: 'ann@example.org' }),
    ).toEqual([]);
    expect(
      automatedMailReasons({ headers: { ...person, 'auto-submitted': 'No', precedence: 'first-class' } }),
    ).toEqual([]);
  });

  it.each([
    [{ 'auto-submitted': 'auto-replied' }, 'Auto-Submitted: auto-replied'],
    [{ 'auto-submitted': 'auto-generated; owner-email="x@y"' }, 'Auto-Submitted: auto-generated'],
    [{ 'auto-submitted': 'auto-notified' }, 'Auto-Submitted: auto-notified'],
    [{ precedence: 'bulk' }, 'Precedence: bulk'],
    [{ precedence: 'Junk' }, 'Precedence: Junk'],
    [{ precedence: 'list' }, 'Precedence: list'],
    [{ precedence: 'auto_reply' }, 'Precedence: auto_reply'],
    [{ 'x-auto-response-suppress': 'All' }, 'X-Auto-Response-Suppress: All'],
    [{ 'x-autoreply': 'yes' }, 'x-autoreply: yes'],
    [{ 'x-autorespond': 'On vacation' }, 'x-autorespond'],
    [{ 'x-loop': 'yes' }, 'X-Loop: yes'],
    [{ 'x-loop': 'servicedesk@corp.example' }, 'X-Loop: servicedesk@corp.example'],
    [{ 'list-unsubscribe': '<mailto:u@l.example>' }, 'List-Unsubscribe'],
    [{ 'list-id': '<deals.example>' }, 'List-Id'],
    [{ 'mailing-list': 'contact help@list.example; run by ezmlm' }, 'mailing-list'],
    [{ 'x-mailing-list': '<linux-kernel@vger.kernel.org>' }, 'x-mailing-list'],
    [{ 'x-ml-name': 'users-jp' }, 'x-ml-name'],
    [{ 'x-mlserver': 'fml [fml 4.0.3 release (20040609/4.0.3)]' }, 'x-mlserver'],
    [{ 'return-path': '<>' }, 'Null Return-Path'],
    [{ 'content-type': 'multipart/report; report-type=delivery-status' }, 'multipart/report'],
    [{ 'x-complaints-loop': 'shop.example' }, 'X-Complaints-Loop'],
  ])('flags %o', (headers, reason) => {
    const reasons = automatedMailReasons({ headers: { ...person, ...headers } });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(reason);
  });

  it('flags the null envelope sender and MAILER-DAEMON/postmaster senders', () => {
    expect(automatedMailReasons({ headers: person, envelopeSender: '' })).toEqual(['Null Return-Path (<>)']);
    expect(automatedMailReasons({ headers: person, from: 'MAILER-DAEMON@mx.example' })[0]).toMatch(
      /System sender/,
    );
    expect(automatedMailReasons({ headers: person, from: 'postmaster@outlook.com' })[0]).toMatch(
      /System sender/,
    );
    expect(automatedMailReasons({ headers: person, from: 'post_master@vtext.example.com' })[0]).toMatch(
      /System sender/,
    );
    expect(automatedMailReasons({ headers: person, from: 'postmaster.jones@example.org' })).toEqual([]);
  });

  it('gives every reason found, so the timeline explains the decision', () => {
    expect(
      automatedMailReasons({
        headers: { 'auto-submitted': 'auto-replied', precedence: 'bulk', 'x-autoreply': 'yes' },
        from: 'mailer-daemon@x.example',
        envelopeSender: '',
      }),
    ).toHaveLength(5);
  });

  it('quotes a header value within a line, so the reasons fit the timeline entry that keeps them', () => {
    // A 450 KB X-Autoreply made the entry exceed DynamoDB's 400 KB: the mail was dead-lettered, not filed.
    const big = 'y'.repeat(450_000);
    const reasons = automatedMailReasons({
      headers: {
        'auto-submitted': `auto-replied ${big}`,
        'x-autoreply': big,
        'list-id': `<${big}>`,
        'x-loop': big,
      },
    });
    expect(reasons).toHaveLength(4);
    for (const reason of reasons) expect(reason.length).toBeLessThan(1100);
    expect(reasons[1]).toMatch(/^x-autoreply: y+…$/);
  });
});

describe('automaticMailBlockedFor', () => {
  it.each([
    'noreply@shop.example',
    'no-reply@carrier.example',
    'No_Reply@carrier.example',
    'do-not-reply@bank.example',
    'donotreply@bank.example',
    'MAILER-DAEMON@mx.example',
    'postmaster@example.org',
    'noreply+tag@example.org',
  ])('never auto-mails %s', (address) => {
    expect(automaticMailBlockedFor(address)).toMatch(/robot address/);
  });

  it('lets people through, and blocks a missing address', () => {
    for (const address of ['ann@example.org', 'norbert.reply@example.org', 'replies@example.org'])
      expect(automaticMailBlockedFor(address)).toBeUndefined();
    expect(automaticMailBlockedFor('')).toBe('no recipient address');
  });
});

describe("this system's own addresses", () => {
  // Receives for support.shop.example; sends as news@shop.example (another domain: only that address).
  const own = ownMailOf({
    mailDomain: 'Support.Shop.example',
    supportAddress: 'help@support.shop.example',
    senderAddress: 'News@shop.example',
  });

  it.each([
    'help@support.shop.example',
    'HELP@Support.Shop.Example',
    'help+tok123@support.shop.example',
    'tier1@support.shop.example',
    'news@shop.example',
    'news+x@SHOP.example',
  ])('treats mail from %s as automated, and never auto-mails it', (address) => {
    expect(automatedMailReasons({ headers: person, from: address, own })).toEqual([
      `Sender ${address} is this system's own address`,
    ]);
    expect(automaticMailBlockedFor(address, own)).toMatch(/this system's own address/);
  });

  it('lets the rest of the sending domain, other subdomains and look-alikes through', () => {
    for (const address of [
      'ann@shop.example',
      'help@mx.support.shop.example',
      'help@support.shop.example.evil',
      'help.support.shop.example@example.org',
    ]) {
      expect(automatedMailReasons({ headers: person, from: address, own }), address).toEqual([]);
      expect(automaticMailBlockedFor(address, own), address).toBeUndefined();
    }
  });
});

describe('automaticMailWindow', () => {
  it('property: every instant falls in the window that contains it, aligned to the window length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 1, max: 86_400 }),
        (ms, len) => {
          const start = automaticMailWindow(new Date(ms), len);
          expect(start % len).toBe(0);
          expect(start * 1000).toBeLessThanOrEqual(ms);
          expect((start + len) * 1000).toBeGreaterThan(ms);
        },
      ),
    );
  });
});

describe('verdictQuarantineReasons', () => {
  const pass = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } as const;

  it('lets PASS, GRAY, DISABLED and PROCESSING_FAILED of the authentication checks through', () => {
    for (const status of ['PASS', 'GRAY', 'DISABLED', 'PROCESSING_FAILED'] as const) {
      expect(
        verdictQuarantineReasons(
          { spam: status, virus: 'PASS', spf: status, dkim: status, dmarc: status },
          { hasAttachments: true },
        ),
      ).toEqual([]);
    }
  });

  it('quarantines every FAIL with its reason, DMARC naming the policy', () => {
    const all = verdictQuarantineReasons(
      { spam: 'FAIL', virus: 'FAIL', spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' },
      { dmarcPolicy: 'reject', hasAttachments: false },
    );
    expect(all.map((r) => r.code)).toEqual(['spam', 'virus', 'spf', 'dkim', 'dmarc']);
    expect(all[4]?.detail).toContain('reject');
    expect(
      verdictQuarantineReasons({ ...pass, dmarc: 'FAIL' }, { dmarcPolicy: 'none', hasAttachments: false }),
    ).toEqual([{ code: 'dmarc', detail: expect.stringContaining('none') }]);
  });

  it('quarantines an inconclusive virus scan only when there are attachments', () => {
    for (const virus of ['GRAY', 'PROCESSING_FAILED'] as const) {
      expect(verdictQuarantineReasons({ ...pass, virus }, { hasAttachments: true })).toEqual([
        { code: 'virus_scan_inconclusive', detail: expect.stringContaining(virus) },
      ]);
      expect(verdictQuarantineReasons({ ...pass, virus }, { hasAttachments: false })).toEqual([]);
    }
  });
});
