import { describe, expect, it } from 'vitest';
import { fileMailFeedback } from '../../functions/application/mailFeedback';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { pseudonymFor } from '../../functions/core/erasure';
import { isValidAddress } from '../../functions/core/mail/addresses';
import { automaticMailBlockedFor } from '../../functions/core/mail/loopGuard';
import {
  feedbackEntry,
  parseSesEvent,
  readMailFeedback,
  undeliverableOf,
} from '../../functions/core/mail/sesFeedback';
import { type LocalSend, mailboxSimulatorEvents } from '../../scripts/local/mailboxSimulator';

const send = (to: string): LocalSend => ({
  messageId: 'ses-1',
  at: new Date('2026-11-24T10:00:00.000Z'),
  from: 'support@shop.example',
  to: [to],
  cc: [],
  bcc: [],
  subject: 'Re: Late [CMP-4F7K2Q]',
  headers: [],
  configurationSet: 'MailFeedback',
  tags: { complaint: 'c1', mail: 'c1-ack' },
});
/** What the local SES publishes for a mail to a simulator address, read as the feedback function reads it. */
const feedbackFor = (to: string) =>
  mailboxSimulatorEvents(send(to)).map((event) => {
    const parsed = parseSesEvent(JSON.stringify(event));
    if (!parsed.success) throw parsed.error;
    return readMailFeedback(parsed.data);
  });

describe('SES events', () => {
  it('reads the Bounce record of the SES developer guide as a permanent bounce', () => {
    const parsed = parseSesEvent(
      JSON.stringify({
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [
            {
              emailAddress: 'Recipient@example.com',
              action: 'failed',
              status: '5.1.1',
              diagnosticCode: 'smtp; 550 5.1.1 user unknown',
            },
          ],
          timestamp: '2017-08-05T00:41:02.669Z',
          feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
          reportingMTA: 'dsn; mta.example.com',
        },
        mail: {
          timestamp: '2017-08-05T00:40:02.012Z',
          source: 'Sender Name <sender@example.com>',
          sendingAccountId: '123456789012',
          messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
          destination: ['recipient@example.com'],
          headersTruncated: false,
          tags: { 'ses:configuration-set': ['ConfigSet'] },
        },
      }),
    );
    expect(parsed.success).toBe(true);
    const feedback = readMailFeedback(parsed.data as NonNullable<typeof parsed.data>);
    expect(feedback).toEqual({
      sesMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      eventType: 'Bounce',
      at: '2017-08-05T00:41:02.669Z',
      recipients: ['recipient@example.com'],
      summary: 'Permanent bounce (General): 5.1.1 smtp; 550 5.1.1 user unknown',
      undeliverable: 'Permanent bounce (General): 5.1.1 smtp; 550 5.1.1 user unknown',
    });
  });

  it('makes permanent bounces and complaints undeliverable; deliveries, soft bounces and delays only recorded', () => {
    expect(feedbackFor('bounce@simulator.amazonses.com').map(undeliverableOf)).toEqual([
      expect.objectContaining({ eventType: 'Bounce', sesMessageId: 'ses-1' }),
    ]);
    expect(feedbackFor('suppressionlist+x@simulator.amazonses.com')[0]?.undeliverable).toMatch(
      /^Permanent bounce \(Suppressed\)/,
    );
    const complained = feedbackFor('complaint@simulator.amazonses.com');
    expect(complained.map((f) => [f.eventType, Boolean(f.undeliverable)])).toEqual([
      ['Delivery', false],
      ['Complaint', true],
    ]);
    for (const to of ['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com']) {
      expect(feedbackFor(to).map((f) => [f.eventType, f.undeliverable])).toEqual([['Delivery', undefined]]);
    }
    // Mail to anyone else produces no local event.
    expect(mailboxSimulatorEvents(send('ann@example.org'))).toEqual([]);
    const soft = parseSesEvent(
      JSON.stringify({
        eventType: 'DeliveryDelay',
        mail: { timestamp: '2026-11-24T10:00:00Z', messageId: 'ses-2', destination: ['a@b.example'] },
        deliveryDelay: {
          timestamp: '2026-11-24T11:00:00Z',
          delayType: 'MailboxFull',
          delayedRecipients: [{ emailAddress: 'a@b.example', status: '4.2.2' }],
        },
      }),
    );
    expect(soft.success && readMailFeedback(soft.data)).toMatchObject({
      summary: 'delivery delayed (MailboxFull): 4.2.2',
    });
    expect(soft.success && readMailFeedback(soft.data).undeliverable).toBeUndefined();
  });

  it('names the complaint and the mail from the message tags, and files one entry per message id and event type', () => {
    const [bounce] = feedbackFor('bounce@simulator.amazonses.com');
    expect(bounce).toMatchObject({ taggedComplaint: 'c1', taggedMail: 'c1-ack' });
    const entry = feedbackEntry({ status: 'awaiting_agent', version: 3 }, bounce as never, 'c1-ack');
    expect(entry).toMatchObject({ id: 'ses-bounce-ses-1', at: bounce?.at, action: 'mailBounced' });
    expect(feedbackEntry({ status: 'closed', version: 9 }, bounce as never, 'c1-ack').id).toBe(entry.id);
  });

  it('refuses what is not an SES event record', () => {
    for (const message of ['not json', '{}', '{"eventType":"Open","mail":{}}', '{"eventType":"Bounce"}']) {
      expect(parseSesEvent(message).success, message).toBe(false);
    }
  });

  it('accepts the mailbox simulator addresses as customer addresses that may get automatic mail', () => {
    for (const scenario of ['success', 'bounce', 'ooto', 'complaint', 'suppressionlist']) {
      const address = `${scenario}@simulator.amazonses.com`;
      expect(isValidAddress(address), address).toBe(true);
      expect(automaticMailBlockedFor(address), address).toBeUndefined();
    }
  });
});

describe('fileMailFeedback', () => {
  it('files an event that comes in after the customer was erased as the erasure leaves entries', async () => {
    const customer = 'ann.lee@example.org';
    // The resolution mail went out as the customer was erased; SES reports its bounce after the
    // erasure answered (within seconds, or days for a delayed bounce).
    const [event] = mailboxSimulatorEvents(send('bounce@simulator.amazonses.com'));
    const message = JSON.stringify(event).replaceAll('bounce@simulator.amazonses.com', customer);
    const erased = {
      id: 'c1',
      status: 'resolved',
      version: 7,
      customerEmail: pseudonymFor(customer),
    } as Complaint;
    const appended: TimelineEntry[] = [];
    const saved: TimelineEntry[] = [];
    const marked: string[] = [];
    const deps = {
      clock: () => new Date('2026-11-24T10:00:05.000Z'),
      store: {
        get: async () => erased,
        timeline: async () => [],
        append: async (_id: string, entries: TimelineEntry[]) => appended.push(...entries) > 0,
        save: async (_next: Complaint, entries: TimelineEntry[]) => void saved.push(...entries),
      },
      ledger: {
        findOutboundMail: async () => ({ complaintId: 'c1', mailId: 'c1-resolution-v6' }),
        markUndeliverable: async (address: string) => void marked.push(address),
        claimBounceFiling: async () => true,
      },
      quarantine: {},
    } as unknown as Parameters<typeof fileMailFeedback>[0];

    expect(await fileMailFeedback(deps, { id: 'sns-1', message })).toMatchObject({
      filed: 'complaint',
      undeliverable: false,
    });
    expect(appended.map((e) => e.id)).toEqual(['ses-bounce-ses-1']);
    expect(JSON.stringify([...appended, ...saved])).not.toContain(customer);
    // The erasure forgot the address's marks: none is made again for it.
    expect(marked).toEqual([]);
  });
});
