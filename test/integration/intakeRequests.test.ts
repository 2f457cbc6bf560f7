import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import type { Deps } from '../../functions/application/deps';
import { receiveMail } from '../../functions/application/intake/receiveMail';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import type { InboundDelivery } from '../../functions/core/mail/filing';
import { bounceMail } from '../support/bounceMail';
import { countedRequests, startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';
import { testSettings } from '../support/settings';

/**
 * The DynamoDB requests intake makes for automated mail and bounce mail threaded into a complaint
 * (counted at the client, by command name), on DynamoDB Local: the complaint is read once, by the
 * filing decision, and the filing uses that read; a redelivery, which has no decision of its own,
 * reads it once itself.
 */
let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let store: DynamoComplaintStore;
let ledger: DynamoMailLedger;
/** The DynamoDB requests made, by command name (the document client shares the client's middleware). */
let requests: string[];
const raw = new Map<string, Buffer>();
let deps: Deps;

const now = new Date('2026-11-24T10:00:00.000Z');
const settings = testSettings({ rawMailBucket: 'raw', logLevel: 'ERROR' });

beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  requests = countedRequests(table.client);
  store = new DynamoComplaintStore('Complaints', table.client);
  ledger = new DynamoMailLedger('Complaints', table.client);
  const rawMail = {
    get: async (_bucket: string, key: string) => {
      const found = raw.get(key);
      if (!found) throw new Error(`no raw mail ${key}`);
      return found;
    },
    put: async () => {},
    delete: async (_bucket: string, key: string) => void raw.delete(key),
  };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  deps = { store, ledger, rawMail, settings, logger, clock: () => now } as unknown as Deps;
});
afterAll(() => table.close());

/** An open complaint with its acknowledgement sent under the SES id `ack-<id>`. */
async function acknowledged(id: string): Promise<Complaint> {
  const complaint: Complaint = {
    id,
    reference: `CMP-${id.toUpperCase().padEnd(6, '0').slice(0, 6)}`,
    status: 'investigating',
    priority: 'normal',
    tier: 1,
    customerEmail: `${id}@example.org`,
    subject: 'Parcel never arrived',
    threadToken: `t-${id}`,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 3,
  };
  await store.create(complaint, []);
  await ledger.recordOutboundMail(`ack-${id}`, { complaintId: id, mailId: `${id}-ack` });
  return complaint;
}

/** SES's delivery of a stored raw mail. */
function delivered(n: string, mail: Buffer, source: string): InboundDelivery {
  raw.set(`inbound/${n}`, mail);
  return {
    sesMessageId: n,
    rawMailKey: `inbound/${n}`,
    source,
    recipients: [settings.supportAddress],
    receivedAt: now.toISOString(),
    verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
  };
}

/** The requests one delivery makes. */
async function requestsOf(delivery: InboundDelivery) {
  requests.length = 0;
  const outcome = await receiveMail(deps, delivery);
  return { outcome, requests: [...requests] };
}

const inbound = async (id: string) =>
  (await store.timeline(id)).filter((e: TimelineEntry) => e.kind === 'message' && e.direction === 'inbound');

describe('intake’s requests for automated and bounce mail threaded into a complaint', () => {
  it('an out-of-office answering the acknowledgement: the complaint read once, 4 requests; a redelivery files the same entry', async () => {
    const { id } = await acknowledged('ooo1');
    const outOfOffice = Buffer.from(
      [
        `From: Ann <${id}@example.org>`,
        `To: ${settings.supportAddress}`,
        'Subject: Out of office: Parcel never arrived',
        'Message-ID: <ooo-1@example.org>',
        `In-Reply-To: <ack-${id}@email.amazonses.com>`,
        'Auto-Submitted: auto-replied',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Away until Monday.',
        '',
      ].join('\r\n'),
    );
    const first = await requestsOf(delivered('ses-ooo-1', outOfOffice, `${id}@example.org`));
    expect(first.outcome).toEqual({ disposition: 'automated', complaintId: id });
    // The In-Reply-To's outbound record, the complaint (for the decision, and the filing uses it: the
    // filing's own read made 5), the claim, the entry (with its check that the complaint still names the
    // customer: one transaction).
    expect(first.requests).toEqual(['GetItem', 'GetItem', 'PutItem', 'TransactWriteItems']);
    // Again (SES's second copy): decided again, the claim refused and read (the first delivery's
    // stands, on the same complaint), the same entry written again.
    const again = await requestsOf(delivered('ses-ooo-2', outOfOffice, `${id}@example.org`));
    expect(again.outcome).toEqual({ disposition: 'automated', complaintId: id });
    expect(again.requests).toEqual(['GetItem', 'GetItem', 'PutItem', 'GetItem', 'TransactWriteItems']);
    expect(await inbound(id)).toHaveLength(1);
  });

  it('a bounce of the acknowledgement: the complaint read once, 6 requests; a redelivery reads it itself', async () => {
    const { id } = await acknowledged('dsn1');
    const dsn = bounceMail({
      to: settings.supportAddress,
      sesMessageId: `ack-${id}`,
      recipient: `${id}@example.org`,
      tag: id,
    });
    const first = await requestsOf(delivered('ses-dsn-1', dsn, ''));
    expect(first.outcome).toEqual({ disposition: 'bounce', complaintId: id });
    // The claim (read first: the report's parts are attachments, stored before the claim is written),
    // the outbound record, the complaint (the filing's own read made 7), the claim written, the
    // bounce's filing claimed, the entry (in one transaction with its check of the customer).
    expect(first.requests).toEqual([
      'GetItem',
      'GetItem',
      'GetItem',
      'PutItem',
      'UpdateItem',
      'TransactWriteItems',
    ]);
    // Again: the claim found, so no decision; the filing reads the complaint (its customer may have
    // been erased since), finds the bounce's filing claimed by this same entry, and writes it again.
    const again = await requestsOf(delivered('ses-dsn-2', dsn, ''));
    expect(again.outcome).toEqual({ disposition: 'bounce', complaintId: id });
    expect(again.requests).toEqual(['GetItem', 'GetItem', 'UpdateItem', 'TransactWriteItems']);
    expect(await inbound(id)).toMatchObject([{ deliveryFailure: { sesMessageId: `ack-${id}` } }]);
  });
});
