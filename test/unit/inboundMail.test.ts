import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundedValue, headerValueBounds } from '../../functions/core/mail/headerBounds';
import { parseInboundMail, UnparseableMailError } from '../../functions/core/mail/inboundMail';
import { repairMime } from '../../functions/core/mail/mimeRepair';
import { corpusDir } from '../support/mailCorpus';

const crlf = (lines: string[]) => lines.join('\r\n');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('parseInboundMail', () => {
  it('keeps the display name on one line, whatever its encoded-word decodes to', async () => {
    const encoded = Buffer.from('Ann\r\nBcc: victim@evil.example\u202e').toString('base64');
    const raw = Buffer.from(
      `From: =?UTF-8?B?${encoded}?= <ann@example.org>\r\nSubject: Late\r\n\r\nWhere is it?\r\n`,
    );
    expect((await parseInboundMail(raw)).from).toEqual({
      address: 'ann@example.org',
      name: 'Ann Bcc: victim@evil.example',
    });
  });

  it('keeps a display name whose comma the client left unquoted, encoded-words decoded', async () => {
    const from = async (value: string) =>
      (await parseInboundMail(Buffer.from(`From: ${value}\r\nSubject: Late\r\n\r\nWhere is it?\r\n`))).from;
    expect(await from('Kowalski, Anna <anna.kowalski@poczta.example>')).toEqual({
      address: 'anna.kowalski@poczta.example',
      name: 'Kowalski, Anna',
    });
    expect(await from('=?UTF-8?Q?M=C3=BCller?=, Hans <hans@example.de>')).toEqual({
      address: 'hans@example.de',
      name: 'Müller, Hans',
    });
  });

  it('reads a plain-text mail: sender lower-cased, Message-ID without brackets, ISO date', async () => {
    const raw = Buffer.from(
      crlf([
        'From: "Doe, Jane" <Jane.Doe@Example.COM>',
        'To: Support <support@shop.example>, other@shop.example',
        'Cc: boss@customer.example',
        'Reply-To: <Jane+replies@Example.com>',
        'Subject: My order never arrived',
        'Date: Mon, 5 Aug 2019 21:29:57 +0200',
        'Message-ID: <F8098FDD-49A3@mail.example.com>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello,',
        'order 123 is late.',
        '',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail).toMatchObject({
      messageId: 'F8098FDD-49A3@mail.example.com',
      dedupeKey: 'mid:F8098FDD-49A3@mail.example.com|from:jane.doe@example.com',
      from: { address: 'jane.doe@example.com', name: 'Doe, Jane' },
      to: ['support@shop.example', 'other@shop.example'],
      cc: ['boss@customer.example'],
      replyTo: 'jane+replies@example.com',
      subject: 'My order never arrived',
      text: 'Hello,\norder 123 is late.\n',
      date: '2019-08-05T19:29:57.000Z',
      references: [],
      attachments: [],
      sizeBytes: raw.length,
    });
    expect(mail.html).toBeUndefined();
    expect(mail.inReplyTo).toBeUndefined();
  });

  it('derives text from an HTML-only mail: tags, scripts and styles gone, entities decoded, lines kept', async () => {
    const raw = Buffer.from(
      crlf([
        'From: a@b.example',
        'Subject: html',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<html><head><style>p { color: red }</style><script>alert("x")</script></head>',
        '<body><p>Caf&eacute; &amp; cr&egrave;me &lt;3</p><p>Second line<br>third line</p></body></html>',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.html).toContain('<p>Caf&eacute;');
    expect(mail.text).toContain('Café & crème <3');
    expect(mail.text).not.toMatch(/color|alert|<p>/);
    expect(mail.text.split('\n').map((l) => l.trim())).toEqual(
      expect.arrayContaining(['Café & crème <3', 'Second line', 'third line']),
    );
  });

  it('reads the text of HTML nesting thousands of elements instead of overflowing the stack', async () => {
    // A client that left a long thread's addresses unescaped: every `<ann@…>` opens an element, none closes.
    const thread = Array.from({ length: 5000 }, (_, i) => `From: "Ann ${i}" <ann${i}@example.org>`).join(
      '<br>',
    );
    const html = `<html><head><style>p{}</style></head><body><p>Refund &amp; apology, please.</p>${thread}<p>Order 4711</p></body></html>`;
    const raw = Buffer.from(
      crlf(['From: a@b.example', 'Subject: html', 'Content-Type: text/html', '', html]),
    );
    const started = Date.now();
    const mail = await parseInboundMail(raw);
    expect(Date.now() - started).toBeLessThan(5000);
    const lines = mail.text.split('\n');
    expect(lines[0]).toBe('Refund & apology, please.');
    expect(lines).toContain('From: "Ann 4999"');
    expect(lines.at(-1)).toBe('Order 4711');
    expect(mail.text).not.toMatch(/p\{\}|<br>/);
    // A bomb of 200,000 nested elements (2 MB) is read in one pass, not in the converter's minutes.
    const bomb = Buffer.from(
      crlf([
        'From: a@b.example',
        'Subject: bomb',
        'Content-Type: text/html',
        '',
        `<p>Hello</p>${'<div>'.repeat(200_000)}x`,
      ]),
    );
    expect((await parseInboundMail(bomb)).text).toBe('Hello\n\nx');
    // Thousands of paragraphs left unclosed do not nest (each <p> ends the one before): converted as ever.
    const paragraphs = Array.from({ length: 3000 }, (_, i) => `<p>Paragraph ${i}`).join('');
    const old = Buffer.from(
      crlf(['From: a@b.example', 'Subject: p', 'Content-Type: text/html', '', paragraphs]),
    );
    expect((await parseInboundMail(old)).text).toMatch(/^Paragraph 0\n\nParagraph 1\n\n/);
  });

  it('decodes iso-8859-1 and windows-1252 bodies and an encoded-word subject', async () => {
    const latin1 = Buffer.from(
      crlf([
        'From: a@b.example',
        'Subject: =?ISO-8859-1?Q?R=E9clamation_d=E9j=E0_faite?=',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Ma commande est arrivée cassée.',
      ]),
      'latin1',
    );
    const mail = await parseInboundMail(latin1);
    expect(mail.subject).toBe('Réclamation déjà faite');
    expect(mail.text.trim()).toBe('Ma commande est arrivée cassée.');

    const cp1252 = Buffer.concat([
      Buffer.from(crlf(['From: a@b.example', 'Content-Type: text/plain; charset=windows-1252', '', ''])),
      // 0x93/0x94 are curly quotes and 0x80 the euro sign in windows-1252 (control codes in iso-8859-1).
      Buffer.from([0x93, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x94, 0x20, 0x31, 0x30, 0x80]),
    ]);
    expect((await parseInboundMail(cp1252)).text.trim()).toBe('“quote” 10€');
  });

  it('lists attachments with file name, type, decoded size and SHA-256 checksum', async () => {
    const content = Buffer.from('%PDF-1.4 receipt bytes');
    const raw = Buffer.from(
      crlf([
        'From: a@b.example',
        'Subject: receipt',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'See attached.',
        '--b1',
        'Content-Type: application/pdf; name="receipt.pdf"',
        'Content-Disposition: attachment; filename="receipt.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        content.toString('base64'),
        '--b1--',
        '',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.text.trim()).toBe('See attached.');
    expect(mail.attachments).toEqual([
      {
        filename: 'receipt.pdf',
        contentType: 'application/pdf',
        size: content.length,
        checksum: sha256(content),
        content,
      },
    ]);
  });

  it('reads a bare Message-ID, but no piece of a bracketed one that holds spaces', async () => {
    const idOf = async (value: string) =>
      (await parseInboundMail(Buffer.from(crlf(['From: a@b.example', `Message-ID: ${value}`, '', 'body']))))
        .messageId;
    expect(await idOf('abc.123@host.example')).toBe('abc.123@host.example');
    expect(await idOf('<abc.123@host.example>')).toBe('abc.123@host.example');
    expect(await idOf('<a b c@host.example>')).toBeUndefined();
  });

  it('dedupes on the content digest when there is no Message-ID, ignoring trace fields added on receipt', async () => {
    const raw = Buffer.from(crlf(['From: a@b.example', 'Subject: no id', '', 'body']));
    const mail = await parseInboundMail(raw);
    expect(mail.messageId).toBeUndefined();
    expect(mail.dedupeKey).toBe(`sha256:${mail.contentDigest}`);
    // A second delivery: SES prepends its own Return-Path, Received and verdict headers.
    const redelivered = Buffer.concat([
      Buffer.from(
        crlf([
          'Return-Path: <a@b.example>',
          'Received: from mx.b.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x2;',
          '\tTue, 24 Nov 2026 10:00:00 +0000 (UTC)',
          'X-SES-Spam-Verdict: PASS',
          'Authentication-Results: amazonses.com; spf=pass',
          '',
        ]),
      ),
      raw,
    ]);
    expect((await parseInboundMail(redelivered)).dedupeKey).toBe(mail.dedupeKey);
    const other = await parseInboundMail(
      Buffer.from(crlf(['From: a@b.example', 'Subject: no id', '', 'body!'])),
    );
    expect(other.dedupeKey).not.toBe(mail.dedupeKey);
  });

  it('pairs the Message-ID with the sender: another sender reusing it is another mail', async () => {
    const from = (sender: string) =>
      parseInboundMail(Buffer.from(crlf([`From: ${sender}`, 'Message-ID: <same@id.example>', '', 'x'])));
    expect((await from('Ann <ANN@example.org>')).dedupeKey).toBe('mid:same@id.example|from:ann@example.org');
    expect((await from('mallory@example.net')).dedupeKey).toBe(
      'mid:same@id.example|from:mallory@example.net',
    );
  });

  it('reads In-Reply-To and folded References as bare Message-IDs in order', async () => {
    const raw = Buffer.from(
      crlf([
        'From: a@b.example',
        'Subject: Re: [CMP-4F7K2Q] late order',
        'In-Reply-To: <0100016d07eb7477-8e19-000000@email.amazonses.com> (our acknowledgement)',
        'References: <first@customer.example>',
        '  <0100016d07eb7477-8e19-000000@email.amazonses.com>',
        '',
        'thanks',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.inReplyTo).toBe('0100016d07eb7477-8e19-000000@email.amazonses.com');
    expect(mail.references).toEqual([
      'first@customer.example',
      '0100016d07eb7477-8e19-000000@email.amazonses.com',
    ]);
  });

  it('keeps headers under lower-cased names, first value, unfolded and undecoded', async () => {
    const raw = Buffer.from(
      crlf([
        'Return-Path: <>',
        'From: MAILER-DAEMON@mx.example',
        'Auto-Submitted: auto-replied',
        'Precedence: bulk',
        'X-Auto-Response-Suppress: All',
        'List-Unsubscribe: <mailto:unsub@list.example>,',
        ' <https://list.example/unsub>',
        'X-Autoreply: yes',
        'Received: from second',
        'Received: from first',
        'Subject: =?UTF-8?B?w6k=?=',
        '',
        'x',
      ]),
    );
    const { headers, subject } = await parseInboundMail(raw);
    expect(headers).toMatchObject({
      'return-path': '<>',
      'auto-submitted': 'auto-replied',
      precedence: 'bulk',
      'x-auto-response-suppress': 'All',
      'list-unsubscribe': '<mailto:unsub@list.example>, <https://list.example/unsub>',
      'x-autoreply': 'yes',
      received: 'from second',
      subject: '=?UTF-8?B?w6k=?=',
    });
    expect(subject).toBe('é');
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('decodes raw UTF-8 header bytes (RFC 6532)', async () => {
    const raw = Buffer.from(crlf(['From: "Zoë" <zoe@b.example>', 'X-Note: naïve', '', 'x']), 'utf8');
    const mail = await parseInboundMail(raw);
    expect(mail.headers['x-note']).toBe('naïve');
    expect(mail.from).toEqual({ address: 'zoe@b.example', name: 'Zoë' });
  });

  it('turns garbage into an empty mail instead of throwing, and drops an unparseable Date', async () => {
    const empty = await parseInboundMail(Buffer.alloc(0));
    expect(empty).toMatchObject({ from: undefined, to: [], subject: '', text: '' });
    expect(empty.dedupeKey).toBe(`sha256:${empty.contentDigest}`);

    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const fromNoise = await parseInboundMail(noise);
    expect(fromNoise.from).toBeUndefined();
    expect(fromNoise.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fromNoise.dedupeKey).not.toBe(empty.dedupeKey);

    const badDate = await parseInboundMail(
      Buffer.from(crlf(['From: a@b.example', 'Date: yesterday-ish', '', 'x'])),
    );
    expect(badDate.date).toBeUndefined();
    expect(badDate.headers.date).toBe('yesterday-ish');
  });
  it('keeps a returned message and a calendar as sent, CRLF lines and all, and the DSN fields as a part', async () => {
    const original = crlf([
      'From: support@shop.example',
      'Message-ID: <orig@shop.example>',
      '',
      'Hello,',
      'thanks.',
    ]);
    const calendar = crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'END:VCALENDAR', '']);
    const status = crlf(['Reporting-MTA: dns; mx.example', '', 'Final-Recipient: rfc822; ann@example.org']);
    const raw = Buffer.from(
      crlf([
        'From: MAILER-DAEMON@mx.example',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        '',
        '--r',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        status,
        '--r',
        'Content-Type: text/calendar; method=REQUEST',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        calendar,
        '--r',
        'Content-Type: message/rfc822',
        '',
        original,
        '--r',
        'Content-Type: message/global',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(original).toString('base64'),
        '--r--',
        '',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.text.trim()).toBe('Delivery failed.');
    expect(mail.attachments.map((a) => [a.contentType, a.content.toString(), a.checksum])).toEqual([
      ['message/delivery-status', status, sha256(status)],
      ['text/calendar', calendar, sha256(calendar)],
      ['message/rfc822', original, sha256(original)],
      ['message/global', original, sha256(original)],
    ]);
  });

  it('quarantines what is beyond the limits: more than 1000 parts, header fields over 1 MiB', async () => {
    const parts = (n: number) =>
      Buffer.from(
        crlf([
          'From: a@b.example',
          'Content-Type: multipart/mixed; boundary="p"',
          '',
          ...Array.from({ length: n }, (_, i) => `--p\r\n\r\npart ${i}`),
          '--p--',
          '',
        ]),
      );
    expect((await parseInboundMail(parts(1000))).text).toContain('part 999');
    await expect(parseInboundMail(parts(1001))).rejects.toBeInstanceOf(UnparseableMailError);
    const longHeader = `X-Long: ${'a'.repeat(1024 * 1024)}`;
    await expect(
      parseInboundMail(Buffer.from(crlf(['From: a@b.example', longHeader, '', 'x']))),
    ).rejects.toBeInstanceOf(UnparseableMailError);
  });

  it('keeps header values within what a mail system keeps, whatever the sender put there', async () => {
    const longName = `${'Ann '.repeat(900)}Smith`;
    const recipients = Array.from({ length: 10_000 }, (_, i) => `r${i}@shop.example`);
    const raw = Buffer.from(
      crlf([
        `From: "${longName}" <ann@example.org>`,
        `To: ${recipients.join(', ')}, ${'x'.repeat(300)}@example.org`,
        `Message-ID: <${'m'.repeat(200_000)}@example.org>`,
        `In-Reply-To: <${'r'.repeat(5_000)}@example.org>`,
        `References: <first@example.org> <${'r'.repeat(5_000)}@example.org> <last@example.org>`,
        'Subject: Broken',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'It broke.',
        '--b',
        `Content-Type: application/pdf; name="${'invoice-'.repeat(1_000)}.pdf"`,
        'Content-Disposition: attachment',
        '',
        'PDF',
        '--b',
        `Content-Type: application/${'x'.repeat(300)}`,
        'Content-Disposition: attachment; filename="a.bin"',
        '',
        'BIN',
        '--b--',
        '',
      ]),
    );
    const mail = await parseInboundMail(raw);
    // The sender is still the sender; the name is cut, marked so.
    expect(mail.from?.address).toBe('ann@example.org');
    expect(mail.from?.name).toHaveLength(headerValueBounds.name);
    expect(mail.from?.name).toMatch(/^Ann Ann .*…$/);
    // A Message-ID longer than a line is no id: absent, and the mail is known by its content.
    expect(mail.messageId).toBeUndefined();
    expect(mail.dedupeKey).toBe(`sha256:${mail.contentDigest}`);
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toEqual(['first@example.org', 'last@example.org']);
    expect(mail.to).toEqual(recipients.slice(0, headerValueBounds.addresses));
    const [pdf, bin] = mail.attachments;
    expect(pdf?.filename).toHaveLength(headerValueBounds.filename);
    expect(pdf?.filename).toMatch(/^invoice-invoice-.*…\.pdf$/);
    expect(bin).toMatchObject({ filename: 'a.bin', contentType: 'application/octet-stream' });
    expect(boundedValue('😀😀', 2)).toBe('…');

    // A From of hundreds of KB is not read at all (the address parser would take seconds): no sender.
    const huge = await parseInboundMail(
      Buffer.from(crlf([`From: "${'Ann '.repeat(100_000)}" <ann@example.org>`, 'Subject: x', '', 'x', ''])),
    );
    expect(huge.from).toBeUndefined();
    expect(huge.senderInvalid).toMatch(
      /^From header field of 400\d{3} characters, more than a mailbox takes/,
    );
  });

  it('decodes a UTF-7 text part (RFC 2152), which TextDecoder does not know', async () => {
    const raw = Buffer.from(
      crlf(['From: a@b.example', 'Content-Type: text/plain; charset=UTF-7', '', 'Caf+AOk- 2+-2 +ZeVnLIqe-.']),
    );
    expect((await parseInboundMail(raw)).text.trim()).toBe('Café 2+2 日本語.');
  });
});

describe('parseInboundMail keeps the text of every readable mail', () => {
  const fixture = (file: string) => readFileSync(join(corpusDir, file));
  it('gives a mail that only forwards a message the forwarded text, the message kept as an attachment', async () => {
    const original = crlf([
      'From: Shop Orders <orders@shop.example>',
      'Subject: Your order 30088',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Expected delivery: 15 November.',
    ]);
    // The whole mail is the forward (Content-Type: message/rfc822, as VM and Python's email send it)…
    const whole = await parseInboundMail(
      Buffer.from(
        crlf(['From: Ann <ann@example.org>', 'Subject: Fwd', 'Content-Type: message/rfc822', '', original]),
      ),
    );
    expect(whole.text).toBe(
      '---------- Forwarded message ----------\nFrom: Shop Orders <orders@shop.example>\nSubject: Your order 30088\n\nExpected delivery: 15 November.',
    );
    expect(whole.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
    // … or Outlook's "Forward as attachment" sent without a word.
    const attached = (text: string) =>
      Buffer.from(
        crlf([
          'From: Ann <ann@example.org>',
          'Subject: FW: Your order 30088',
          'Content-Type: multipart/mixed; boundary="m"',
          '',
          '--m',
          'Content-Type: text/plain; charset=utf-8',
          '',
          text,
          '--m',
          'Content-Type: message/rfc822',
          'Content-Disposition: attachment; filename="Your order 30088.eml"',
          '',
          original,
          '--m--',
        ]),
      );
    expect((await parseInboundMail(attached(''))).text).toContain('Expected delivery: 15 November.');
    // A mail with words of its own keeps them alone, and a report's returned message is none of its text.
    expect((await parseInboundMail(attached('It did not come.'))).text.trim()).toBe('It did not come.');
    const report = attached('')
      .toString()
      .replace('multipart/mixed', 'multipart/report; report-type=delivery-status');
    expect((await parseInboundMail(Buffer.from(report))).text.trim()).toBe('');
  });

  it('reads a text part labelled base64 that holds plain words as the text it is', async () => {
    // enmime's mime-bad-content-transfer-encoding.raw (a part relayed by Exchange): decoded as base64,
    // the words came out as noise.
    const raw = Buffer.from(
      crlf([
        'From: Ann <ann@example.org>',
        'Content-Type: multipart/alternative; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset="UTF-8"',
        'Content-Transfer-Encoding: base64',
        '',
        'The kettle  arrived broken',
        'and the lid is missing',
        '--b',
        'Content-Type: text/html; charset="UTF-8"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<p>The kettle arrived broken</p>').toString('base64'),
        '--b--',
      ]),
    );
    expect((await parseInboundMail(raw)).text.trim()).toBe(
      'The kettle  arrived broken\nand the lid is missing',
    );
    // Real base64, a list footer appended after it included, is decoded as ever.
    const encoded = Buffer.from(
      crlf([
        'From: Ann <ann@example.org>',
        'Content-Type: text/plain; charset="UTF-8"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('Der Wasserkocher ist kaputt.').toString('base64'),
        '_______________________________________________',
        'Users mailing list',
      ]),
    );
    expect((await parseInboundMail(encoded)).text).toContain('Der Wasserkocher ist kaputt.');
  });
  it('folds a boundary parameter the sender left unfolded on the line after the Content-Type', async () => {
    // Apache James (sisimai's email-apachejames-01.eml): the nested part's boundary lost, the text
    // came out as its delimiter lines.
    const raw = Buffer.from(
      [
        'From: post_master@vtext.example.com',
        'Subject: Re:Test message',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        '--outer',
        'Content-Type: multipart/alternative;',
        'boundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Error: Invalid user address',
        '--inner--',
        '--outer--',
        '',
      ].join('\n'),
    );
    expect((await parseInboundMail(raw)).text.trim()).toBe('Error: Invalid user address');
  });

  it('begins the body where header fields end without the blank line (a script writing its text after the Subject)', async () => {
    // Python's email test suite, msg_35.txt: a mail reader shows that line as the text.
    const raw = Buffer.from(
      [
        'From: aperson@dom.ain',
        'To: bperson@dom.ain',
        "Subject: here's something interesting",
        "counter to RFC 5322, there's no separating newline here",
        '',
      ].join('\n'),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.subject).toBe("here's something interesting");
    expect(mail.text.trim()).toBe("counter to RFC 5322, there's no separating newline here");
    // The same in a part, and text of several paragraphs.
    const part = await parseInboundMail(
      Buffer.from(
        crlf([
          'From: a@b.example',
          'Content-Type: multipart/mixed; boundary=b',
          '',
          '--b',
          'Content-Type: text/plain; charset=utf-8',
          'Grüße,',
          '',
          'das Paket fehlt.',
          '--b--',
        ]),
      ),
    );
    expect(part.text.trim()).toBe('Grüße,\n\ndas Paket fehlt.');
    // A line broken out of a header field's value, with fields after it, is no body: the sender stays read.
    const broken = await parseInboundMail(
      Buffer.from(crlf(['Subject: Hello', 'World', 'From: a@b.example', '', 'Text'])),
    );
    expect(broken.from?.address).toBe('a@b.example');
    expect(broken.text.trim()).toBe('Text');
    // Bytes that are no mail behind the trace fields the receiving hops prepend stay no mail (quarantined).
    const garbage = await parseInboundMail(
      Buffer.concat([
        Buffer.from(crlf(['Return-Path: <x@garbage.example>', 'Received: from mx.example', ''])),
        Buffer.from([0x8d, 0xfc, 0xeb, 0xda, 0xc9, 0xb8, 0x0d, 0x0a, 0xe7, 0xd6, 0xc5, 0xb4]),
      ]),
    );
    expect({ from: garbage.from, text: garbage.text }).toEqual({ from: undefined, text: '' });
  });

  it.each([
    [
      'lotus-notes-html-related.eml',
      'Falsche Rechnung 40017',
      'die Rechnung 40017 führt den Posten zweimal auf.',
    ],
    ['html-mixed-attachment.eml', 'Encomenda 77120 incompleta', 'A encomenda 77120 chegou sem o carregador.'],
    ['html-stray-boundary.eml', 'Wrong size delivered', 'I ordered the jacket in size L (order 66310)'],
    [
      'mixed-no-boundary-lines.eml',
      'Refund not received for order 88104',
      'Dear team, the refund for order 88104',
    ],
    ['shift-jis-undeclared.eml', '商品が壊れていました', '注文番号 40552 の商品が壊れた状態で届きました'],
    ['gb2312-raw-subject.eml', '订单没有收到，请帮忙查询', '我的订单 61207 已经两个星期了'],
    ['undeclared-windows-1252.eml', 'Reclamación pedido 30991', 'llegó con la caja dañada'],
  ])('%s: subject and text decoded', async (file, subject, text) => {
    const mail = await parseInboundMail(fixture(file));
    expect(mail.subject).toBe(subject);
    expect(mail.text).toContain(text);
    expect(mail.text).not.toContain('\uFFFD');
  });

  it('decodes raw ISO-2022-JP header lines, and characters split across base64 encoded-words', async () => {
    const japanese = await parseInboundMail(fixture('iso-2022-jp-raw-subject.eml'));
    expect(japanese.subject).toBe('注文した商品が届きません');
    expect(japanese.from).toEqual({ address: 'hanako.yamada@example.jp', name: '山田花子' });
    expect(japanese.text).toContain('注文番号 73310 の商品がまだ届いておりません。');

    const split = await parseInboundMail(fixture('base64-word-split-character.eml'));
    expect(split.subject).toBe('Lieferung beschädigt – Bestellung 48812 😞');
    expect(split.from).toEqual({ address: 'juergen.mueller@example.de', name: 'Jürgen Müller' });
    // The charset's name in another case is the same charset.
    const bytes = Buffer.from('Lieferung beschädigt');
    const cut = bytes.indexOf(Buffer.from('ä')) + 1;
    const mixedCase = `=?UTF-8?B?${bytes.subarray(0, cut).toString('base64')}?= =?utf-8?b?${bytes.subarray(cut).toString('base64')}?=`;
    const cased = await parseInboundMail(
      Buffer.from(`From: a@example.org\r\nSubject: ${mixedCase}\r\n\r\nx\r\n`),
    );
    expect(cased.subject).toBe('Lieferung beschädigt');
    // Words split at character boundaries (as most mailers split a long subject) stay as they are.
    const whole = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
    const raw = `From: a@example.org\r\nSubject: ${whole('Grüße, ')}\r\n ${whole('Bestellung 1')}\r\n\r\nx\r\n`;
    const mail = await parseInboundMail(Buffer.from(raw));
    expect(mail.subject).toBe('Grüße, Bestellung 1');
    expect(mail.headers.subject).toBe(`${whole('Grüße, ')} ${whole('Bestellung 1')}`);
  });

  it('decodes ISO-2022-JP only where it cannot move an address, and leaves other header bytes as they are', async () => {
    const esc = '\x1b';
    const mail = (header: string) =>
      parseInboundMail(Buffer.from(`${header}To: support@shop.example\r\n\r\nhello\r\n`, 'latin1'));
    // A segment that holds an address must not make the address after it the sender.
    for (const from of [
      `"x ${esc}$B" <attacker@evil.example> ${esc}(B" <victim@example.org>`,
      `"x${esc}$B"<attacker@evil.example>${esc}(B" <victim@example.org>`,
    ]) {
      expect((await mail(`From: ${from}\r\n`)).from?.address, from).not.toBe('victim@example.org');
    }
    // An escape never closed: the address is read as before.
    expect((await mail(`From: ${esc}$BF|K\\ <u2@probe.example>\r\n`)).from?.address).toBe('u2@probe.example');
    const unclosed = await mail(`From: a@example.org\r\nSubject: hello ${esc}$B world and more text\r\n`);
    expect(unclosed.subject).toContain('world and more text');
    // A raw UTF-8 Subject beside a JIS display name keeps its bytes.
    const name = Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42]).toString('latin1');
    const utf8Subject = Buffer.from('Café crème – naïve').toString('latin1');
    const mixed = await mail(`From: ${name} <u1@probe.example>\r\nSubject: ${utf8Subject}\r\n`);
    expect(mixed.subject).toBe('Café crème – naïve');
    expect(mixed.from).toEqual({ address: 'u1@probe.example', name: '日本' });
    // A boundary that looks like encoded-words is a boundary: only Subject and address fields are joined.
    const boundary = '=?utf-8?B?4g==?= =?utf-8?B?gqw=?=';
    const multipart = await parseInboundMail(
      Buffer.from(
        [
          'From: a@example.org',
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          'Content-Type: text/plain',
          '',
          'Real text',
          `--${boundary}`,
          'Content-Type: application/octet-stream; name="a.bin"',
          'Content-Transfer-Encoding: base64',
          '',
          'AAEC',
          `--${boundary}--`,
          '',
        ].join('\r\n'),
      ),
    );
    expect(multipart.text.trim()).toBe('Real text');
    expect(multipart.attachments).toHaveLength(1);
  });

  it('keeps the digest of the original bytes, not of the repaired ones', async () => {
    const raw = fixture('shift-jis-undeclared.eml');
    const mail = await parseInboundMail(raw);
    expect(mail.contentDigest).toBe((await parseInboundMail(Buffer.from(raw))).contentDigest);
    expect((await repairMime(raw)).equals(raw)).toBe(false);
  });

  it('repairs a part without charset deep in the tree, keeping preamble, delimiters and epilogue', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        crlf([
          'From: ana@example.org',
          'Subject: nested',
          'Content-Type: multipart/mixed; boundary="outer"',
          '',
          'preamble',
          '--outer',
          'Content-Type: multipart/alternative; boundary="inner"',
          '',
          '--inner',
          'Content-Type: text/plain',
          '',
          'Ca',
        ]),
      ),
      Buffer.from('\u00f1\u00f3n roto, pedido 7781.', 'latin1'),
      Buffer.from(crlf(['', '--inner--', '', '--outer--', 'epilogue', ''])),
    ]);
    const repaired = (await repairMime(raw)).toString('latin1');
    expect(repaired).toContain('Content-Type: text/plain; charset=');
    expect(
      repaired.startsWith(raw.toString('latin1').slice(0, raw.indexOf('Content-Type: text/plain'))),
    ).toBe(true);
    expect(repaired.endsWith('--outer--\r\nepilogue\r\n')).toBe(true);
    expect((await parseInboundMail(raw)).text).toContain('Cañón roto, pedido 7781.');
  });

  it('reads mail whose lines end in a bare CR (old Mac OS), or in CR, LF and CRLF mixed', async () => {
    const lines = [
      'From: Claire <claire@example.org>',
      'To: support@shop.example',
      'Subject: Order 4411 never arrived',
      'Message-ID: <mac-4411@example.org>',
      'Content-Type: text/plain; charset=macintosh',
      '',
      'Hello,',
      'order 4411 never arrived.',
      '',
    ];
    const mac = await parseInboundMail(Buffer.from(lines.join('\r')));
    expect(mac).toMatchObject({
      from: { address: 'claire@example.org' },
      subject: 'Order 4411 never arrived',
    });
    expect(mac.text.split('\n')).toEqual(['Hello,', 'order 4411 never arrived.', '']);
    const ends = ['\r', '\n', '\r\n', '\r\r\n'];
    const mixed = await parseInboundMail(Buffer.from(lines.map((l, i) => `${l}${ends[i % 4]}`).join('')));
    expect(mixed).toMatchObject({ messageId: 'mac-4411@example.org', subject: 'Order 4411 never arrived' });
    expect(mixed.text.split('\n').filter((l) => l)).toEqual(['Hello,', 'order 4411 never arrived.']);
    // The digest is that of the bytes received.
    expect(mac.contentDigest).not.toBe(mixed.contentDigest);
  });

  it('ends bare-CR lines in time linear in the mail: a megabyte of CRs is no quadratic regex scan', async () => {
    // A run of CRs not followed by LF made `\r+\n|\r` rescan the rest of the run at each CR: 160 KB
    // took 110 s, and intake has no size limit before the repairs. At a megabyte that scan would run
    // for hours, far past the test's timeout; the figure itself is no assertion here (timings belong
    // to the benchmarks).
    const raw = Buffer.from(
      `From: ana@example.org\r\nSubject: CRs\r\n\r\nHello${'\r'.repeat(1_000_000)}x`,
      'latin1',
    );
    const repaired = await repairMime(raw);
    expect(repaired.toString('latin1').endsWith(`Hello${'\r\n'.repeat(1_000_000)}x`)).toBe(true);
    // Runs before an LF are still one line end, other CRs one each.
    const mixed = await repairMime(
      Buffer.from('From: ana@example.org\r\r\nSubject: a\r\rb\r\n\r\nx\r\r\r', 'latin1'),
    );
    expect(mixed.toString('latin1')).toBe(
      'From: ana@example.org\r\nSubject: a\r\n\r\nb\r\n\r\nx\r\n\r\n\r\n',
    );
  });

  it('leaves a bare CR alone in a mail with binary content, whose data may hold one', async () => {
    const raw = Buffer.from(
      crlf([
        'From: ana@example.org',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'See the file.',
        '--b',
        'Content-Type: application/octet-stream; name="data.bin"',
        'Content-Transfer-Encoding: binary',
        '',
        '\x01\r\x02',
        '--b--',
        '',
      ]),
      'latin1',
    );
    const mail = await parseInboundMail(raw);
    expect(mail.attachments[0]?.content.subarray(0, 3)).toEqual(Buffer.from('\x01\r\x02', 'latin1'));
  });

  it('unfolds format=flowed text (RFC 3676) in any transfer encoding, quoted paragraphs included', async () => {
    const flowed = [
      'Yes, it is ',
      'broken.',
      '',
      '> Could you send ',
      '> a photo of the ',
      '> damage?',
      ' >not quoted',
    ];
    const mail = (encoding: string, body: string, params = 'format=flowed') =>
      parseInboundMail(
        Buffer.from(
          crlf([
            'From: lena@example.org',
            `Content-Type: text/plain; charset=utf-8; ${params}`,
            `Content-Transfer-Encoding: ${encoding}`,
            '',
            body,
          ]),
        ),
      );
    const expected = ['Yes, it is broken.', '', '> Could you send a photo of the damage?', '>not quoted'];
    for (const [encoding, body] of [
      ['7bit', crlf(flowed)],
      ['quoted-printable', crlf(flowed.map((l) => l.replace(/ $/, '=20')))],
      ['base64', Buffer.from(crlf(flowed)).toString('base64')],
      // Each line encoded on its own, padded (some mailers and scripts do): the padding inside the
      // content ends a quantum, as the parser reads it, and is not dropped (which shifted every bit after).
      ['base64', flowed.map((l) => Buffer.from(`${l}\r\n`).toString('base64')).join('\r\n')],
    ] as const) {
      expect((await mail(encoding, body)).text.trim().split('\n'), encoding).toEqual(expected);
    }
    // Apple Mail: DelSp=yes, folded inside words and between CJK characters.
    const delSp = await mail(
      'quoted-printable',
      crlf([
        'Die Lampe ist besch=C3=A4 ',
        'digt. =E8=8D=B7=E7=89=A9=E3=81=8C ',
        '=E5=B1=8A=E3=81=8D=E3=81=BE=E3=81=9B=E3=82=93',
      ]),
      'format="Flowed"; delsp=yes',
    );
    expect(delSp.text.trim()).toBe('Die Lampe ist beschädigt. 荷物が届きません');
  });

  it('keeps a flowed text attachment byte for byte', async () => {
    const raw = Buffer.from(
      crlf([
        'From: ana@example.org',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Notes attached.',
        '--b',
        'Content-Type: text/plain; charset=utf-8; format=flowed',
        'Content-Disposition: attachment; filename="notes.txt"',
        '',
        '> one ',
        '> two',
        '--b--',
        '',
      ]),
    );
    const mail = await parseInboundMail(raw);
    expect(mail.attachments[0]?.content.toString()).toBe('> one \n> two\n');
  });

  it('decodes ISO-2022-KR (RFC 1557), which TextDecoder maps to the replacement encoding, in the text and in encoded-words', async () => {
    // 주문 번호 63019 / 환불 요청 in ISO-2022-KR: KS X 1001 between SO and SI after ESC $ ) C.
    const body = '\x1b$)C\x0eAV9.\x0f \x0e9xH#\x0f 63019\r\n\x0eH/:R\x0f \x0e?dC;\x0f\r\n';
    const word = Buffer.from('\x1b$)C\x0eH/:R\x0f \x0e?dC;\x0f', 'latin1');
    const mail = (contentType: string, encoding: string, content: string) =>
      parseInboundMail(
        Buffer.from(
          crlf([
            'From: =?ISO-2022-KR?B?' +
              Buffer.from('\x1b$)C\x0e1h?5Hq\x0f', 'latin1').toString('base64') +
              '?= <kim@example.kr>',
            `Subject: =?iso-2022-kr?B?${word.toString('base64')}?=`,
            `Content-Type: ${contentType}`,
            `Content-Transfer-Encoding: ${encoding}`,
            '',
            content,
          ]),
          'latin1',
        ),
      );
    const declared = await mail('text/plain; charset=ISO-2022-KR', '7bit', body);
    expect(declared.subject).toBe('환불 요청');
    expect(declared.text).toBe('주문 번호 63019\n환불 요청\n');
    expect(declared.from?.name).toBe('김영희');
    const base64 = await mail(
      'text/plain; charset=csISO2022KR',
      'base64',
      Buffer.from(body, 'latin1').toString('base64'),
    );
    expect(base64.text).toBe(declared.text);
    // Undeclared (old Korean mail), or declared US-ASCII: the escapes name the charset.
    expect((await mail('text/plain', '7bit', body)).text).toBe(declared.text);
    expect((await mail('text/plain; charset=us-ascii', '7bit', body)).text).toBe(declared.text);
  });

  it('decodes HZ-GB-2312 (RFC 1843) and marks ISO-2022-CN, the other charsets TextDecoder refuses', async () => {
    const mail = (charset: string, body: string) =>
      parseInboundMail(
        Buffer.from(
          crlf(['From: wang@example.cn', `Content-Type: text/plain; charset=${charset}`, '', body]),
          'latin1',
        ),
      );
    // 退款申请 ~ 订单 55120, folded with `~` before the line end.
    expect((await mail('HZ-GB-2312', '~{MK?nIjGk~} ~~ ~{6)5%~} 55~\r\n120\r\n')).text).toBe(
      '退款申请 ~ 订单 55120\n',
    );
    const cn = await mail('ISO-2022-CN', '\x1b$)A\x0eMK?n\x0f order 55120\r\n');
    expect(cn.text).toMatch(/^\[This text is in ISO-2022-CN, which intake cannot decode/);
    expect(cn.text).toContain('MK?n order 55120');
    expect([...cn.text].filter((c) => c < ' ' && c !== '\n' && c !== '\r')).toEqual([]);
  });

  it('decodes undeclared ISO-2022-JP text by its escape sequences', async () => {
    const body = Buffer.from('\x1b$BCmJ8HV9f\x1b(B 90311\r\n', 'latin1').toString('latin1');
    const raw = Buffer.from(crlf(['From: sato@example.jp', 'Subject: order', '', body]), 'latin1');
    expect((await parseInboundMail(raw)).text.trim()).toBe('注文番号 90311');
  });

  it('reads valid UTF-8 in a part declared US-ASCII as UTF-8, other 8-bit bytes as windows-1252', async () => {
    const mail = (charset: string, encoding: string, content: Buffer) =>
      parseInboundMail(
        Buffer.concat([
          Buffer.from(
            crlf([
              'From: jan@example.de',
              `Content-Type: text/plain; charset=${charset}`,
              `Content-Transfer-Encoding: ${encoding}`,
              '',
              '',
            ]),
          ),
          content,
        ]),
      );
    const utf8 = Buffer.from('Grüße – die Lampe ist beschädigt, 20 €\r\n');
    expect((await mail('us-ascii', '7bit', utf8)).text.trim()).toBe('Grüße – die Lampe ist beschädigt, 20 €');
    expect((await mail('"US-ASCII"', '8bit', utf8)).text.trim()).toBe(
      'Grüße – die Lampe ist beschädigt, 20 €',
    );
    const qp = Buffer.from('Gr=C3=BC=C3=9Fe\r\n');
    expect((await mail('us-ascii', 'quoted-printable', qp)).text.trim()).toBe('Grüße');
    expect((await mail('us-ascii', '8bit', Buffer.from('Gr\xfc\xdfe\r\n', 'latin1'))).text.trim()).toBe(
      'Grüße',
    );
    expect((await mail('us-ascii', 'quoted-printable', Buffer.from('Gr=FC=DFe\r\n'))).text.trim()).toBe(
      'Grüße',
    );
  });

  it('leaves well-formed mail byte for byte as it is', async () => {
    for (const file of ['gmail-plain.eml', 'iso-2022-jp.eml', 'koi8-r.eml', 'apple-mail-photo.eml']) {
      const raw = fixture(file);
      expect((await repairMime(raw)).equals(raw)).toBe(true);
    }
  });
});
