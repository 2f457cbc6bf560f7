import { describe, expect, it } from 'vitest';
import { deliveryOf } from '../../functions/core/mail/filing';
import { headerValueBounds } from '../../functions/core/mail/headerBounds';
import { buildSesReceiptEvent } from '../../functions/core/mail/sesReceipt';

describe('deliveryOf', () => {
  it('reads a receipt record: SES id, raw mail key, envelope and verdicts', () => {
    const event = buildSesReceiptEvent({
      messageId: 'abc123',
      receivedAt: new Date('2026-12-01T10:00:00.000Z'),
      source: 'ann@example.org',
      recipients: ['support@shop.example'],
      destination: ['support@shop.example'],
      headers: [{ name: 'From', value: 'ann@example.org' }],
      commonHeaders: { from: ['ann@example.org'], to: ['support@shop.example'] },
      verdicts: { spam: 'FAIL' },
    });
    const delivery = deliveryOf(event.Records[0] as never, 'inbound/');
    expect(delivery).toMatchObject({
      sesMessageId: 'abc123',
      rawMailKey: 'inbound/abc123',
      receivedAt: '2026-12-01T10:00:00.000Z',
      source: 'ann@example.org',
      recipients: ['support@shop.example'],
      verdicts: { spam: 'FAIL', virus: 'PASS' },
    });
  });

  it('keeps the envelope recipients within the header bounds, whatever the envelope named', () => {
    const recipients = [
      `${'x'.repeat(300)}@shop.example`,
      ...Array.from({ length: 5_000 }, (_, i) => `support+${i}@shop.example`),
    ];
    const event = buildSesReceiptEvent({
      messageId: 'many',
      receivedAt: new Date(),
      source: 'bulk@example.org',
      recipients,
      destination: [],
      headers: [],
      commonHeaders: {},
    });
    expect(deliveryOf(event.Records[0] as never, 'inbound/').recipients).toEqual(
      recipients.slice(1, 1 + headerValueBounds.addresses),
    );
  });
});
