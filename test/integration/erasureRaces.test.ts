import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import type { ComplaintStore, RawMailStore } from '../../functions/adapters/ports';
import { eraseCustomer } from '../../functions/application/customerErasure';
import type { Deps } from '../../functions/application/deps';
import { receiveMail } from '../../functions/application/intake/receiveMail';
import { fileMailFeedback } from '../../functions/application/mailFeedback';
import { buildDeps } from '../../functions/composition/buildDeps';
import type { Complaint, MessageEntry } from '../../functions/core/complaint';
import { erasedText, pseudonymFor } from '../../functions/core/erasure';
import { ConflictError } from '../../functions/core/errors';
import type { InboundDelivery } from '../../functions/core/mail/filing';
import { createHandler as createApi } from '../../functions/handlers/api';
import { startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';
import { testSettings } from '../support/settings';

/**
 * Writers racing a GDPR erasure on DynamoDB Local. Each writer reads the complaint while it still names
 * the customer, then the erasure runs to its end (a store wrapper runs it right before the writer's
 * first write to the complaint's partition), then the writer writes: what it adds must not bring the
 * address back. Afterwards the whole table and the raw-mail store are searched for the address.
 */
let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let store: DynamoComplaintStore;
beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  store = new DynamoComplaintStore('Complaints', table.client);
});
afterAll(() => table.close());

const now = new Date('2026-11-24T10:00:00.000Z');
const settings = testSettings({ rawMailBucket: 'raw', logLevel: 'ERROR' });
const manager = { kind: 'agent', id: 'manager-1', role: 'manager' } as const;
let customers = 0;

/** Raw mail and attachments in memory, as S3 would hold them. */
function rawMailStore(objects = new Map<string, Buffer>()): RawMailStore & { objects: Map<string, Buffer> } {
  return {
    objects,
    get: async (_bucket, key) => {
      const found = objects.get(key);
      if (!found) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey' });
      return found;
    },
    put: async (_bucket, key, body) => void objects.set(key, body),
    delete: async (_bucket, key) => void objects.delete(key),
  };
}

/**
 * A customer of their own (each test erases one) with an open complaint: their first mail (raw mail
 * kept) and the acknowledgement sent to them, whose SES id a bounce and an SES event name.
 */
async function customerWithComplaint(status: Complaint['status'] = 'awaiting_agent') {
  const n = ++customers;
  const email = `ann${n}@example.org`;
  const id = `ea5e${n}`.padEnd(26, '0');
  const complaint: Complaint = {
    id,
    reference: `CMP-RACE0${n}`,
    status,
    tier: 1,
    priority: 'normal',
    customerEmail: email,
    customerName: 'Ann Example',
    subject: 'Broken kettle',
    threadToken: `racetoken${n}`,
    createdAt: '2026-11-24T08:00:00.000Z',
    updatedAt: '2026-11-24T08:00:00.000Z',
    version: 3,
  };
  const first: MessageEntry = {
    kind: 'message',
    id: `${id}-m0`,
    at: '2026-11-24T08:00:00.000Z',
    direction: 'inbound',
    from: email,
    to: [settings.supportAddress],
    subject: 'Broken kettle',
    text: `My kettle broke. Write to ${email}.`,
    rawMailKey: `${settings.rawMailPrefix}first-${n}`,
  };
  const ack: MessageEntry = {
    kind: 'message',
    id: `${id}-ack`,
    at: '2026-11-24T08:01:00.000Z',
    direction: 'outbound',
    messageId: `ack-${n}`,
    from: settings.supportAddress,
    to: [email],
    subject: 'Re: Broken kettle',
    text: 'We got it.',
    purpose: 'acknowledgement',
  };
  await store.create(complaint, [first, ack]);
  const { DynamoMailLedger } = await import('../../functions/adapters/mailLedger');
  await new DynamoMailLedger('Complaints', table.client).recordOutboundMail(`ack-${n}`, {
    complaintId: id,
    mailId: ack.id,
  });
  const raw = rawMailStore(new Map([[first.rawMailKey as string, Buffer.from(`From: ${email}\r\n\r\nHi`)]]));
  return { email, complaint, raw, n };
}

/**
 * The dependencies of a writer whose store runs the erasure of `email` to its end right before the
 * first write to the complaint `complaintId`'s partition (after the writer's reads), or before the first
 * store call `before` picks.
 */
function racingDeps(
  email: string,
  complaintId: string,
  raw: RawMailStore,
  before: (method: string, args: unknown[]) => boolean = (method, args) => {
    const id = typeof args[0] === 'string' ? args[0] : (args[0] as Complaint | undefined)?.id;
    return writes.includes(method) && id === complaintId;
  },
) {
  const plain = buildDeps(settings, {
    dynamodb: table.client,
    rawMail: raw,
    mailer: { send: async () => 'ses-out' },
    workflow: {
      start: async (name: string) => name,
      stop: async () => undefined,
      succeed: async () => undefined,
      fail: async () => undefined,
      received: async () => false,
    } as unknown as Deps['workflow'],
  });
  const deps: Deps = { ...plain, clock: () => now };
  const erasure = {
    ran: false,
    /** `target` whose method calls run the erasure once, first, before the first call `pick` picks. */
    before<T extends object>(target: T, pick: (method: string, args: unknown[]) => boolean): T {
      return new Proxy(target, {
        get: (object, name, receiver) => {
          const value = Reflect.get(object, name, receiver);
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (!erasure.ran && pick(String(name), args)) {
              erasure.ran = true;
              await eraseCustomer(deps, email, manager, now);
            }
            return value.apply(object, args);
          };
        },
      });
    },
  };
  return { deps: { ...deps, store: erasure.before<ComplaintStore>(store, before) }, erasure };
}
const writes = ['append', 'appendOnce', 'save', 'saveChange', 'saveWithSentMail', 'create'];

/** An agent's request to the API handler over `deps`. */
async function agentRequest(deps: Deps, route: string, id: string, body: unknown) {
  const response = await createApi(deps)({
    routeKey: `POST ${route}`,
    rawPath: route.replace('{id}', id),
    pathParameters: { id },
    headers: {},
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      authorizer: {
        jwt: {
          claims: {
            sub: 'agent-1',
            token_use: 'access',
            'cognito:groups': 'tier1',
            email: 'a1@corp.example',
          },
        },
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer);
  return { status: response.statusCode, body: JSON.parse(String(response.body)) };
}

/** Every item of the table and every stored object that still holds the address (any case). */
async function traces(email: string, raw: { objects: Map<string, Buffer> }) {
  const found: string[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({ TableName: 'Complaints', ExclusiveStartKey: cursor as never }),
    );
    for (const item of page.Items ?? []) {
      const text = JSON.stringify(unmarshall(item), (_k, v) => (v instanceof Set ? [...v] : v));
      if (text.toLowerCase().includes(email)) found.push(text);
    }
    cursor = page.LastEvaluatedKey;
  } while (cursor);
  for (const [key, body] of raw.objects) {
    if (body.toString('latin1').toLowerCase().includes(email)) found.push(`object ${key}`);
  }
  return found;
}

const delivery = (n: number, name: string, source: string): InboundDelivery => ({
  sesMessageId: `${name}-${n}`,
  rawMailKey: `${settings.rawMailPrefix}${name}-${n}`,
  receivedAt: '2026-11-24T09:59:00.000Z',
  source,
  recipients: [`support+racetoken${n}@${settings.mailDomain}`],
  verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
});

describe('mail intake files while the erasure runs', () => {
  it('a reply of the customer (with an attachment) read before the erasure and filed after keeps nothing of theirs', async () => {
    const { email, complaint, raw, n } = await customerWithComplaint();
    const mail = delivery(n, 'reply', email);
    raw.objects.set(
      mail.rawMailKey,
      Buffer.from(
        [
          `From: Ann Example <${email}>`,
          `To: support+racetoken${n}@${settings.mailDomain}`,
          'Subject: Re: Broken kettle',
          `Message-ID: <reply-${n}@example.org>`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain; charset=utf-8',
          '',
          `Here is the receipt. Ann, ${email}, +44 20 7946 0000`,
          '--b',
          'Content-Type: text/plain; name="receipt.txt"',
          'Content-Disposition: attachment; filename="receipt.txt"',
          '',
          `Receipt for ${email}`,
          '--b--',
          '',
        ].join('\r\n'),
      ),
    );
    const { deps, erasure } = racingDeps(email, complaint.id, raw);
    const outcome = await receiveMail(deps, mail);
    expect(erasure.ran).toBe(true);
    expect(outcome).toEqual({ disposition: 'erased', complaintId: complaint.id });
    expect(await traces(email, raw)).toEqual([]);
    const timeline = await store.timeline(complaint.id);
    const filed = timeline.find((e) => e.kind === 'message' && e.messageId?.startsWith(`reply-${n}`));
    expect(filed).toMatchObject({ subject: erasedText, text: erasedText, from: pseudonymFor(email) });
    expect(filed).not.toHaveProperty('attachments');
    expect(raw.objects.size).toBe(0);
    // Delivered again (Lambda delivers at least once): the raw mail's deletion was recorded.
    expect(await receiveMail(deps, mail)).toMatchObject({ disposition: 'raw_mail_erased' });
  });

  it('an out-of-office of the customer read before the erasure and filed after keeps nothing of theirs', async () => {
    const { email, complaint, raw, n } = await customerWithComplaint();
    const mail = delivery(n, 'ooo', email);
    raw.objects.set(
      mail.rawMailKey,
      Buffer.from(
        [
          `From: Ann Example <${email}>`,
          `To: support@${settings.mailDomain}`,
          'Subject: Out of office: Re: Broken kettle',
          `Message-ID: <ooo-${n}@example.org>`,
          `In-Reply-To: <ack-${n}@email.amazonses.com>`,
          'Auto-Submitted: auto-replied',
          'Content-Type: text/plain; charset=utf-8',
          '',
          `Away until Monday; urgent matters to ${email.replace('@', '.private@')}.`,
          '',
        ].join('\r\n'),
      ),
    );
    const { deps, erasure } = racingDeps(email, complaint.id, raw);
    expect(await receiveMail(deps, mail)).toEqual({ disposition: 'erased', complaintId: complaint.id });
    expect(erasure.ran).toBe(true);
    expect(await traces(email, raw)).toEqual([]);
    expect(await traces(email.split('@')[0] as string, raw)).toEqual([]);
    expect(raw.objects.size).toBe(0);
  });
});

describe('an SES event filed while the erasure runs', () => {
  it('a hard bounce of the acknowledgement read before the erasure marks no address and records the event erased', async () => {
    const { email, complaint, raw, n } = await customerWithComplaint();
    const { deps, erasure } = racingDeps(email, complaint.id, raw);
    // The mark on the address comes before the record on the complaint: the erasure runs before both.
    const ledger = erasure.before(deps.ledger, (method) => method === 'markUndeliverable');
    const event = {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          {
            emailAddress: email,
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: `smtp; 550 ${email} unknown`,
          },
        ],
        timestamp: '2026-11-24T09:00:00.000Z',
        feedbackId: `feedback-${n}`,
      },
      mail: {
        timestamp: '2026-11-24T08:01:00.000Z',
        source: settings.supportAddress,
        messageId: `ack-${n}`,
        destination: [email],
        tags: { complaint: [complaint.id] },
      },
    };
    const outcome = await fileMailFeedback(
      { ...deps, ledger },
      { id: `sns-${n}`, message: JSON.stringify(event) },
    );
    expect(erasure.ran).toBe(true);
    expect(outcome).toMatchObject({ filed: 'complaint', complaintId: complaint.id, undeliverable: false });
    expect(await traces(email, raw)).toEqual([]);
    expect(await deps.ledger.findUndeliverable(email)).toBeUndefined();
    expect(await store.get(complaint.id)).not.toHaveProperty('undeliverable');
  });
});

describe('a workflow step mailing the customer while the erasure runs', () => {
  it('records an automatic mail it holds back (the address marked undeliverable) as the erasure leaves entries', async () => {
    const { email, complaint, raw } = await customerWithComplaint();
    const bounced: Complaint = {
      ...complaint,
      undeliverable: {
        reason: 'Permanent bounce',
        eventType: 'Bounce',
        sesMessageId: 'ses-0',
        at: now.toISOString(),
      },
    };
    const { deps, erasure } = racingDeps(email, complaint.id, raw);
    const { mailCustomerOnce } = await import('../../functions/application/customerMail');
    await mailCustomerOnce(
      deps,
      bounced,
      { subject: `Reminder for ${email}`, text: 'Still there?', html: '<p>Still there?</p>' },
      'reminder',
      `${complaint.id}-reminder-1`,
      now,
    );
    expect(erasure.ran).toBe(true);
    expect(await traces(email, raw)).toEqual([]);
    const held = (await store.timeline(complaint.id)).find(
      (e) => e.id === `${complaint.id}-reminder-1-suppressed`,
    );
    expect(held).toMatchObject({ details: { recipient: pseudonymFor(email) } });
  });
});

describe('an agent’s note written while the erasure runs', () => {
  it('is refused with 409 (the complaint moved on), not stored with the address', async () => {
    const { email, complaint, raw } = await customerWithComplaint();
    const { deps, erasure } = racingDeps(email, complaint.id, raw);
    const response = await agentRequest(deps, '/complaints/{id}/notes', complaint.id, {
      text: `Called Ann on ${email}`,
      version: complaint.version,
    });
    expect(erasure.ran).toBe(true);
    expect(response).toMatchObject({ status: 409, body: { currentVersion: complaint.version + 1 } });
    expect(await traces(email, raw)).toEqual([]);
  });

  it('a merge’s note on its target, written after the erasure saved the target, is written erased', async () => {
    const { email, complaint: target, raw, n } = await customerWithComplaint();
    const duplicate: Complaint = {
      ...target,
      id: `d${target.id.slice(1)}`,
      reference: `CMP-DUPL0${n}`,
      threadToken: `duplicate${n}`,
      taskToken: `token-${n}`,
      waitingFor: 'agent',
    };
    await store.create(duplicate, []);
    // The duplicate closes before the erasure; the note on the target comes after the erasure.
    const { deps, erasure } = racingDeps(
      email,
      target.id,
      raw,
      (method, args) => method === 'appendOnce' && args[0] === target.id,
    );
    const response = await agentRequest(deps, '/complaints/{id}/merge', duplicate.id, {
      into: target.id,
      version: duplicate.version,
    });
    expect(erasure.ran).toBe(true);
    expect(response).toMatchObject({ status: 202, body: { mergedInto: target.id } });
    expect(await traces(email, raw)).toEqual([]);
    const notes = (await store.timeline(target.id)).filter((e) => e.kind === 'note');
    expect(notes).toEqual([
      expect.objectContaining({ id: `${target.id}-merged-${duplicate.id}`, text: erasedText }),
    ]);
  });
});

describe('the investigation while the erasure runs', () => {
  it('counts the customer in the recurring-issue window by customer id: the window never holds the address', async () => {
    const { email, complaint, raw } = await customerWithComplaint('received');
    const { deps, erasure } = racingDeps(
      email,
      complaint.id,
      raw,
      (method) => method === 'recordCategoryOccurrence',
    );
    const { investigateOnce } = await import('../../functions/application/investigation');
    // Its save is conditional on the version the erasure moved: the step fails, and is retried.
    await expect(
      investigateOnce(deps, complaint, await store.timeline(complaint.id), now),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(erasure.ran).toBe(true);
    expect(await traces(email, raw)).toEqual([]);
    // The retry investigates the erased complaint: the same customer, counted once.
    const erased = await store.withTimeline(complaint.id);
    if (!erased) throw new Error('complaint gone');
    await investigateOnce(deps, erased.complaint, erased.timeline, now);
    expect(await traces(email, raw)).toEqual([]);
  });
});
