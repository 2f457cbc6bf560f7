import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../functions/adapters/mailer';
import { type LocalSes, startLocalSes } from '../../scripts/local/localSes';
import { mailbox, type SentMail } from '../../scripts/local/localStackClient';

let ses: LocalSes;
let mailer: SesMailer;

async function storedMail(messageId: string): Promise<SentMail | undefined> {
  return (await mailbox(ses.url)).find((e) => e.messageId === messageId);
}

beforeAll(async () => {
  ses = await startLocalSes({ port: 0 });
  const client = new SESv2Client({
    endpoint: ses.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  mailer = new SesMailer({ client, from: 'Support <support@shop.example>', configurationSet: 'complaints' });
});

afterAll(() => ses.close());

describe('SesMailer against aws-ses-v2-local', () => {
  it('sends Simple content whose threading and loop-guard headers survive', async () => {
    const headers = {
      'In-Reply-To': '<abc-123@customer.example>',
      References: '<first@customer.example> <abc-123@customer.example>',
      'Auto-Submitted': 'auto-replied',
      'X-Complaints-Loop': 'shop.example',
    };
    const messageId = await mailer.send({
      to: ['jane@customer.example', 'john@customer.example'],
      subject: '[CMP-4F7K2Q] We received your complaint — réf',
      text: 'Thank you.',
      html: '<p>Thank you.</p>',
      replyTo: ['support+tok123@shop.example'],
      headers,
    });
    expect(messageId).toEqual(expect.any(String));

    const mail = await storedMail(messageId);
    expect(mail).toMatchObject({
      from: 'Support <support@shop.example>',
      replyTo: ['support+tok123@shop.example'],
      destination: { to: ['jane@customer.example', 'john@customer.example'], cc: [], bcc: [] },
      subject: '[CMP-4F7K2Q] We received your complaint — réf',
      body: { text: 'Thank you.', html: '<p>Thank you.</p>' },
    });
    expect(mail?.headers).toEqual(Object.entries(headers).map(([name, value]) => ({ name, value })));
  });

  it('sends a text-only mail without extra headers', async () => {
    const messageId = await mailer.send({
      to: ['jane@customer.example'],
      subject: 'Plain',
      text: 'Only text.',
    });
    const mail = await storedMail(messageId);
    expect(mail?.body).toEqual({ text: 'Only text.' });
    expect(mail?.replyTo).toEqual([]);
    expect(mail?.headers).toEqual([]);
  });
});
