import { describe, expect, it } from 'vitest';
import { isBounce, readBounce } from '../../functions/core/mail/bounce';
import { parseInboundMail } from '../../functions/core/mail/inboundMail';
import { repairMime } from '../../functions/core/mail/mimeRepair';
import { sesMessageIdOf } from '../../functions/core/mail/threading';
import { corpusManifest, renderCorpusMessage } from '../support/mailCorpus';

const sesId = '0100019357aa1b2c-3d4e5f60-7182-4394-a5b6-c7d8e9f00112-000000';
const render = (file: string) =>
  renderCorpusMessage(file, () => ({
    complaintId: 'c',
    reference: 'CMP-4F7K2Q',
    token: 'tok',
    ackSesMessageId: sesId,
  }));
const manifest = corpusManifest();

describe('bounces in the corpus', () => {
  const bounces = manifest.filter((m) => m.expect.outcome === 'bounce');

  it.each(bounces.map((m) => [m.file, m.expect] as const))(
    '%s is a bounce of our SES mail with its DSN status',
    async (file, expected) => {
      const mail = await parseInboundMail(render(file));
      expect(isBounce(mail)).toBe(true);
      const report = readBounce(mail);
      expect(report.failed).toBe(true);
      expect(report.originalMessageIds.map(sesMessageIdOf)).toContain(sesId);
      if ('status' in expected && expected.status) expect(report.status).toBe(expected.status);
    },
  );

  it('reads the Postfix DSN fields, unfolding the diagnostic', async () => {
    const report = readBounce(await parseInboundMail(render('postfix-bounce.eml')));
    expect(report).toMatchObject({
      originalMessageIds: [`${sesId}@email.amazonses.com`],
      recipient: 'anna.kowalska@exmaple.com',
      action: 'failed',
      status: '5.4.4',
      diagnostic: expect.stringMatching(
        /^X-Postfix; Host or domain name not found\. .* type=MX: Host not found/,
      ),
    });
  });

  it('takes the failed recipient from X-Failed-Recipients when a bounce has no DSN part', async () => {
    const mail = await parseInboundMail(
      Buffer.from(
        [
          'From: Mail Delivery System <Mailer-Daemon@mx.example>',
          'X-Failed-Recipients: gone@example.org',
          'Subject: Mail delivery failed',
          '',
          'Message-ID: <abc@email.amazonses.com>',
          '',
        ].join('\r\n'),
      ),
    );
    expect(readBounce(mail)).toEqual({
      originalMessageIds: ['abc@email.amazonses.com'],
      recipient: 'gone@example.org',
      failed: true,
    });
  });

  it('takes a plain-text bounce from post_master (Apache James) for a bounce, its original threaded', async () => {
    // sisimai's email-apachejames-01.eml: multipart/mixed, no DSN part, In-Reply-To the original.
    const mail = await parseInboundMail(
      Buffer.from(
        [
          'From: post_master@vtext.example.com',
          'Subject: Re:Test message',
          'In-Reply-To: <0100018c2f3e4d5a-orig@email.amazonses.com>',
          '',
          'Error: Invalid user address',
          '550 - Requested action not taken: no such user here',
          '',
        ].join('\r\n'),
      ),
    );
    expect(isBounce(mail)).toBe(true);
    expect(readBounce(mail)).toMatchObject({
      originalMessageIds: ['0100018c2f3e4d5a-orig@email.amazonses.com'],
      failed: true,
    });
  });

  it('takes a bounce from a MAILER-DAEMON without a domain for a bounce, its broken Content-Type read', async () => {
    // sisimai's x1-02.eml (OpenMail): `<MAILER-DAEMON>` is no address, so the mail has no sender, and
    // the report part's parameters follow its media type without the `;` between.
    const mail = await parseInboundMail(
      Buffer.from(
        [
          'From: "Mail Deliver System" <MAILER-DAEMON>',
          'Subject: Returned Mail: User unknown',
          'In-Reply-To: <0100018c2f3e4d5a-orig@email.amazonses.com>',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '   charset="iso-2022-jp"',
          '',
          '---The following addresses had delivery errors---',
          'kijitora@example.org [User unknown]',
          '--b--',
          '',
        ].join('\r\n'),
      ),
    );
    expect(mail.from).toBeUndefined();
    expect(mail.text).toContain('kijitora@example.org [User unknown]');
    // Only a media type of MIME tokens gets the `;`: a hostile type's markup stays the parser's to read.
    expect(
      (
        await repairMime(Buffer.from('Content-Type: image/svg+xml"><img src=x onerror=a()>\r\n\r\nx'))
      ).toString(),
    ).toContain('Content-Type: image/svg+xml"><img src=x onerror=a()>');
    expect(mail.attachments).toEqual([]);
    expect(isBounce(mail)).toBe(true);
    expect(readBounce(mail)).toMatchObject({
      originalMessageIds: ['0100018c2f3e4d5a-orig@email.amazonses.com'],
    });
  });

  it("reads the original's Message-ID from a message/partial part, and a bracketed Final-Recipient", async () => {
    // sisimai's email-bigfoot-01.eml (LiteMail): the original's header returned as message/partial.
    const mail = await parseInboundMail(
      Buffer.from(
        [
          'From: Mail Delivery Subsystem <MAILER-DAEMON@bigfoot.example>',
          'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
          '',
          '--r',
          'Content-Type: message/delivery-status',
          '',
          'Reporting-MTA: dns; litemail57.bigfoot.example',
          '',
          'Final-Recipient: RFC822; <Gone@Example.net>',
          'Action: failed',
          'Status: 5.7.1',
          '',
          '--r',
          'Content-Type: message/partial',
          '',
          'Message-ID: <0100018c2f3e4d5a-orig@email.amazonses.com>',
          'From: support@shop.example',
          '',
          '--r--',
          '',
        ].join('\r\n'),
      ),
    );
    expect(readBounce(mail)).toMatchObject({
      originalMessageIds: ['0100018c2f3e4d5a-orig@email.amazonses.com'],
      recipient: 'gone@example.net',
      status: '5.7.1',
    });
  });

  it('reads a delay warning as not failed', async () => {
    const report = readBounce(await parseInboundMail(render('postfix-delayed-dsn.eml')));
    expect(report).toMatchObject({ action: 'delayed', status: '4.4.1', failed: false });
  });

  it('does not take read receipts or mail from people for bounces', async () => {
    expect(isBounce(await parseInboundMail(render('outlook-read-receipt.eml')))).toBe(false);
    expect(isBounce(await parseInboundMail(render('gmail-plain.eml')))).toBe(false);
    expect(isBounce(await parseInboundMail(render('exchange-oof.eml')))).toBe(false);
  });

  it('never takes the bounce’s own Message-ID for the original', async () => {
    const mail = await parseInboundMail(render('exim-bounce.eml'));
    expect(readBounce(mail).originalMessageIds).not.toContain(mail.messageId);
  });
});
