import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Complaint } from '../../functions/core/complaint';
import { maxHeaderValueLength, outboundHeaders } from '../../functions/core/mail/outboundHeaders';
import {
  acknowledgementMail,
  resolutionMail,
  taggedSubject,
  teamNotification,
} from '../../functions/core/mail/templates';

const complaint = {
  id: 'c1',
  reference: 'CMP-4F7K2Q',
  subject: 'Parcel <late>',
  customerName: 'Ann',
} as Complaint;

describe('outbound mail', () => {
  it('tags the subject once with the reference', () => {
    expect(taggedSubject(complaint)).toBe('Re: Parcel <late> [CMP-4F7K2Q]');
    expect(taggedSubject({ ...complaint, subject: 'Re: Parcel [CMP-4F7K2Q]' })).toBe(
      'Re: Parcel [CMP-4F7K2Q]',
    );
  });

  it('acknowledges with the reference and escapes HTML', () => {
    const mail = acknowledgementMail(complaint);
    expect(mail.text).toContain('CMP-4F7K2Q');
    expect(mail.html).not.toContain('<late>');
  });

  it('states the refund amount in the resolution mail', () => {
    const mail = resolutionMail(complaint, {
      type: 'refund',
      amount: 40,
      currency: 'EUR',
      summary: 'We refunded the shipping.',
      rootCause: 'carrier_delay',
      appliedBy: { kind: 'agent', id: 'a' },
      authorityLimit: 100,
    });
    expect(mail.text).toContain('€40.00');
    expect(mail.text).toContain('We refunded the shipping.');
  });

  it('marks automatic mail per RFC 3834 and threads replies', () => {
    const h = outboundHeaders({
      automatic: true,
      inReplyTo: 'abc@example.org',
      references: ['<x@y>'],
      mailDomain: 'd.example',
    });
    expect(h).toEqual({
      'X-Complaints-Loop': 'd.example',
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'In-Reply-To': '<abc@example.org>',
      References: '<x@y> <abc@example.org>',
    });
    expect(outboundHeaders({ automatic: false, mailDomain: 'd' })).toEqual({ 'X-Complaints-Loop': 'd' });
  });
});

/** What SES v2 accepts as a header value in Simple content: printable ASCII, one line, at most 870. */
const acceptedBySes = (value: string) =>
  value.length <= maxHeaderValueLength && /^[\x20-\x7e]*$/.test(value) && !/[\r\n]/.test(value);

describe('outbound headers SES v2 accepts', () => {
  it('keeps the most recent references that fit in 870 characters, the parent last', () => {
    const references = Array.from({ length: 200 }, (_, i) => `<ref-${i}.${'x'.repeat(20)}@mail.example.org>`);
    const h = outboundHeaders({
      automatic: true,
      inReplyTo: 'parent@example.org',
      references,
      mailDomain: 'd.example',
    });
    expect(h.References?.length).toBeLessThanOrEqual(maxHeaderValueLength);
    expect(h.References).toMatch(/<ref-199\.x+@mail\.example\.org> <parent@example\.org>$/);
    expect(h.References).not.toContain('<ref-0.');
  });

  it('drops non-ASCII and malformed ids instead of sending them', () => {
    const h = outboundHeaders({
      automatic: false,
      inReplyTo: 'ñandú@correo.example',
      references: ['<ok@example.org>'],
      mailDomain: 'd.example',
    });
    expect(h['In-Reply-To']).toBeUndefined();
    expect(h.References).toBeUndefined();
    const g = outboundHeaders({
      automatic: false,
      inReplyTo: 'p@example.org',
      references: ['ñandú@correo.example', 'two words@x', '<ok@example.org>'],
      mailDomain: 'd.example',
    });
    expect(g.References).toBe('<ok@example.org> <p@example.org>');
  });

  it('every header value is at most 870 characters of printable ASCII without CR/LF, for any input', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary', maxLength: 1000 }), { nil: undefined }),
        fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.emailAddress()), { maxLength: 100 }),
        fc.string({ unit: 'binary', maxLength: 1200 }),
        fc.boolean(),
        (inReplyTo, references, mailDomain, automatic) => {
          const h = outboundHeaders({
            automatic,
            mailDomain,
            references,
            ...(inReplyTo ? { inReplyTo } : {}),
          });
          for (const value of Object.values(h)) expect(acceptedBySes(value)).toBe(true);
        },
      ),
    );
  });

  it('greets by a name of one line, without the invisible characters that reorder or hide text', () => {
    const name = '\u202eAnn\r\nBcc: victim@evil.example\r\n\r\nYour refund is approved\u200b';
    const ack = acknowledgementMail({ ...complaint, customerName: name });
    expect(ack.text).toContain('Dear Ann Bcc: victim@evil.example Your refund is approved,');
    expect(ack.text).not.toMatch(/[\u200b\u202e]/);
    expect(
      taggedSubject({ ...complaint, subject: 'Invoice \u202etxt.exe\u2066 \u{1F468}\u200d\u{1F469}' }),
    ).toBe('Re: Invoice txt.exe \u{1F468}\u200d\u{1F469} [CMP-4F7K2Q]');
    expect(acknowledgementMail({ ...complaint, customerName: '\u200b \r\n' }).text).toContain('Hello,');
  });

  it('keeps the customer’s subject on its own line of a team notification, without reordering characters', () => {
    const subject = 'Late parcel\r\nCustomer: ceo@example.org\nPriority: urgent \u202egnitset';
    const { text } = teamNotification({ ...complaint, subject } as Complaint, 'Escalated to tier 2', []);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('Customer:'))).toEqual([`Customer: ${complaint.customerEmail}`]);
    expect(lines.filter((l) => l.startsWith('Priority:'))).toHaveLength(1);
    expect(lines).toContain('Subject: Late parcel Customer: ceo@example.org Priority: urgent gnitset');
  });

  it('subjects are one line whatever the inbound subject held', () => {
    expect(taggedSubject({ ...complaint, subject: 'Broken\r\nBcc: victim@example.org' })).toBe(
      'Re: Broken Bcc: victim@example.org [CMP-4F7K2Q]',
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (subject) => {
        const tagged = taggedSubject({ ...complaint, subject });
        expect(tagged).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
        expect(tagged.endsWith('[CMP-4F7K2Q]') || tagged.includes('[CMP-4F7K2Q]')).toBe(true);
        expect([...tagged].length).toBeLessThanOrEqual(220);
        expect(
          teamNotification({ ...complaint, subject } as Complaint, `Escalated: ${subject}`, []).subject,
        ).not.toMatch(/[\r\n]/);
      }),
    );
  });
});
