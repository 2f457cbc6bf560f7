/**
 * A receiver's bounce mail (an RFC 3464 delivery status notification) of one of our mails, sent back to
 * the inbound address `to`: the failed recipient, their server's diagnostic and the headers of our mail
 * (its SES Message-ID, which intake files the bounce by). `tag` makes its own Message-ID unique.
 * `autoSubmitted` and `date` add those headers, which some receivers' servers leave out.
 */
export function bounceMail(bounce: {
  to: string;
  sesMessageId: string;
  recipient: string;
  tag: string;
  diagnostic?: string;
  autoSubmitted?: boolean;
  date?: string;
}): Buffer {
  const { to, sesMessageId, recipient, tag } = bounce;
  return Buffer.from(
    [
      'From: Mail Delivery Subsystem <mailer-daemon@mx.receiver.example>',
      `To: ${to}`,
      ...(bounce.autoSubmitted ? ['Auto-Submitted: auto-replied'] : []),
      'Subject: Delivery Status Notification (Failure)',
      `Message-ID: <dsn-${tag}@mx.receiver.example>`,
      ...(bounce.date ? [`Date: ${bounce.date}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Your message to ${recipient} could not be delivered.`,
      '',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.receiver.example',
      '',
      `Final-Recipient: rfc822; ${recipient}`,
      'Action: failed',
      'Status: 5.1.1',
      `Diagnostic-Code: ${bounce.diagnostic ?? 'smtp; 550 5.1.1 user unknown'}`,
      '',
      '--b1',
      'Content-Type: text/rfc822-headers',
      '',
      `From: ${to}`,
      `To: ${recipient}`,
      `Message-ID: <${sesMessageId}@email.amazonses.com>`,
      '',
      '--b1--',
      '',
    ].join('\r\n'),
  );
}
