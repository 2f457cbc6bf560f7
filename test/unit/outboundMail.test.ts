import { describe, expect, it } from 'vitest';
import type { Complaint } from '../../functions/core/complaint';
import { outboundHeaders } from '../../functions/core/mail/outboundHeaders';
import { acknowledgementMail, resolutionMail, taggedSubject } from '../../functions/core/mail/templates';

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
