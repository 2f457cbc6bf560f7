import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import type { Complaint, MessageEntry, TimelineEntry } from '../../functions/core/complaint';
import { isValidAddress } from '../../functions/core/mail/addresses';
import type { InboundClaim, QuarantinedMail } from '../../functions/core/mail/filing';
import { parseInboundMail } from '../../functions/core/mail/inboundMail';
import { maxHeaderValueLength } from '../../functions/core/mail/outboundHeaders';
import { filedSender } from '../../functions/core/mail/sender';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, type SentMail, sendRawMail, waitFor } from '../../scripts/local/localStackClient';
import {
  type CorpusMessage,
  corpusManifest,
  type FiledComplaint,
  fillPlaceholders,
  firstLineOf,
  renderCorpusMessage,
} from '../support/mailCorpus';

/**
 * Every message of the corpus (test/fixtures/mail/manifest.json) through the real SMTP intake of the local
 * stack, in manifest order, each checked against its expected outcome through the agent API, the
 * quarantine API and the SES mailbox.
 */
let stack: LocalStack;
let dataDir: string;
let ledger: DynamoMailLedger;
const filed = new Map<string, FiledComplaint>();
/** Customer addresses of the complaints the corpus opened: the only addresses we may write to. */
const customers = new Set<string>();
const figures = {
  messages: 0,
  filed: 0,
  quarantined: 0,
  emptyTextWhereSourceHadText: 0,
  senderMatches: 0,
  subjectMatches: 0,
  firstLineMatches: 0,
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-corpus-'));
  stack = await startLocalStack({ dataDir, quiet: true, mailDomain: 'shop.example', inMemoryDynamoDb: true });
  ledger = new DynamoMailLedger(
    'Complaints',
    new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
});
afterAll(async () => {
  if (stack && figures.messages === corpusManifest().length) {
    // Every mail to a customer went to a corpus customer with a valid address, never to a guess
    // (team notifications go to the role addresses of our own domain).
    const sent = (await mailbox(stack.endpoints.mailbox.url)).filter(
      (m) => !m.destination.to.every((a) => a.endsWith('@shop.example')),
    );
    const stray = sent.filter((m) => m.destination.to.some((a) => !isValidAddress(a) || !customers.has(a)));
    const report = { ...figures, mailsToCustomers: sent.length, toInvalidOrThirdParty: stray.length };
    console.log(`mail corpus: ${JSON.stringify(report, null, 2)}`);
    expect(stray.map((m) => m.destination.to)).toEqual([]);
    expect(figures.emptyTextWhereSourceHadText).toBe(0);
  }
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Detail {
  complaint: Complaint;
  timeline: TimelineEntry[];
}

const messages = (timeline: TimelineEntry[]) =>
  timeline.filter((e): e is MessageEntry => e.kind === 'message');

async function detail(id: string): Promise<Detail> {
  const res = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, {
    token: stack.endpoints.tokens.tier1,
  });
  expect(res.status).toBe(200);
  return res.body;
}

const mailsTo = async (address: string | undefined) =>
  address
    ? (await mailbox(stack.endpoints.mailbox.url)).filter((m) => m.destination.to.includes(address))
    : [];

function complaintOf(file: string): FiledComplaint {
  const found = filed.get(file);
  if (!found) throw new Error(`${file} was not filed as a complaint`);
  return found;
}

async function expectNew(
  message: CorpusMessage,
  claim: InboundClaim,
  sender: string,
  mailsBefore: SentMail[],
) {
  const expected = message.expect;
  if (expected.outcome !== 'new') return;
  expect(claim.disposition).toBe('new');
  if (expected.notInto) expect(claim.complaintId).not.toBe(complaintOf(expected.notInto).complaintId);
  // The acknowledgement is the execution's first step: wait until it was sent or suppressed.
  const id = claim.complaintId;
  const { complaint, timeline } = await waitFor(async () => {
    const d = await detail(id);
    return d.timeline.some((e) => e.id === `${id}-ack` || e.id === `${id}-ack-suppressed`) ? d : undefined;
  }, `the acknowledgement of ${id}`);
  if (expected.senderInvalid) {
    expect(complaint.senderInvalid).toBeDefined();
    expect(isValidAddress(complaint.customerEmail)).toBe(false);
  } else {
    expect(complaint.customerEmail).toBe(expected.customer ?? sender);
    customers.add(complaint.customerEmail);
  }
  if (expected.customerName) expect(complaint.customerName).toBe(expected.customerName);
  const first = messages(timeline).find((m) => m.id === `${complaint.id}-m0`);
  if (expected.subject) expect(first?.subject).toBe(expected.subject);
  if (expected.text) expect(first?.text).toContain(expected.text);
  if (expected.truncated) expect(Buffer.byteLength(first?.text ?? '')).toBeLessThan(64 * 1024 + 500);
  if (expected.attachments) {
    expect(first?.attachments?.map(({ filename, contentType }) => ({ filename, contentType }))).toEqual(
      expected.attachments,
    );
    // Stored beside the raw mail, byte for byte (size and SHA-256 as listed).
    for (const a of first?.attachments ?? []) {
      const stored = await readFile(join(dataDir, 'raw-mail', 'raw-mail', a.key));
      expect(stored.length).toBe(a.size);
      expect(createHash('sha256').update(stored).digest('hex')).toBe(a.checksum);
    }
  }
  const ack = messages(timeline).find((m) => m.direction === 'outbound' && m.purpose === 'acknowledgement');
  if (!expected.ack) {
    expect(ack).toBeUndefined();
    expect(timeline).toContainEqual(
      expect.objectContaining({
        action: 'automaticMailSuppressed',
        details: expect.objectContaining({ reason: expect.stringContaining(expected.suppressed ?? '') }),
      }),
    );
    expect(await mailsTo(complaint.customerEmail)).toHaveLength(mailsBefore.length);
    return;
  }
  const sent = (await mailsTo(complaint.customerEmail)).find((m) => m.messageId === ack?.messageId);
  expect(sent?.subject).toContain(`[${complaint.reference}]`);
  expect(sent?.subject).not.toMatch(/[\r\n]/);
  // What SES v2 accepts: header values of at most 870 characters of printable ASCII, one line.
  for (const { value } of sent?.headers ?? []) {
    expect(value.length).toBeLessThanOrEqual(maxHeaderValueLength);
    expect(value).toMatch(/^[\x20-\x7e]*$/);
  }
  expect(sent?.headers).toEqual(expect.arrayContaining([{ name: 'Auto-Submitted', value: 'auto-replied' }]));
  const token = /^support\+([\w-]+)@shop\.example$/.exec(sent?.replyTo[0] ?? '')?.[1];
  expect(token).toBeDefined();
  filed.set(message.file, {
    complaintId: complaint.id,
    reference: complaint.reference,
    token: token as string,
    ackSesMessageId: ack?.messageId as string,
  });
}

describe('the mail corpus through the SMTP intake', () => {
  it.each(corpusManifest())('$file ($origin) -> $expect.outcome', async (message) => {
    const raw = renderCorpusMessage(message.file, (file) => filed.get(file));
    // Mail beyond the parser's limits has no parsed form; the envelope names its sender.
    const parsed = await parseInboundMail(raw).catch(() => undefined);
    const sender = parsed?.from?.address ?? message.envelopeFrom ?? '';
    figures.messages++;
    // Sender, subject and first line as intake reads them, against the manifest.
    const filedAs = parsed && filedSender(parsed, message.envelopeFrom ?? parsed.from?.address ?? '');
    const readSender = filedAs && !filedAs.senderInvalid ? filedAs.sender : null;
    const readFirstLine = parsed ? firstLineOf(parsed.text) : null;
    if (readSender === message.sender) figures.senderMatches++;
    const subject = fillPlaceholders(message.subject, message.file, (file) => filed.get(file));
    if ((parsed?.subject ?? '') === subject) figures.subjectMatches++;
    if (readFirstLine === message.firstLine) figures.firstLineMatches++;
    if (message.firstLine !== null && readFirstLine === null) figures.emptyTextWhereSourceHadText++;
    expect({ sender: readSender, subject: parsed?.subject ?? '', firstLine: readFirstLine }).toEqual({
      sender: message.sender,
      subject,
      firstLine: message.firstLine,
    });
    const mailsBefore = await mailsTo(sender);
    const sesMessageId = await sendRawMail(stack.endpoints, raw, { from: message.envelopeFrom ?? sender });
    await stack.drainIntake();

    const claim =
      parsed && (await ledger.findInboundClaim({ dedupeKey: parsed.dedupeKey, messageId: parsed.messageId }));
    const expected = message.expect;
    if (expected.outcome === 'quarantined') figures.quarantined++;
    else if (claim) figures.filed++;
    if (expected.outcome === 'quarantined') {
      expect(claim).toBeUndefined();
      const list = await api<{ items: QuarantinedMail[] }>(stack.endpoints, 'GET', '/quarantine?limit=100', {
        token: stack.endpoints.tokens.manager,
      });
      const held = list.body.items.find((q) => q.delivery.sesMessageId === sesMessageId);
      expect(held?.reasons.map((r) => r.code)).toContain(expected.reason);
      if (expected.detail)
        expect(held?.reasons.find((r) => r.code === expected.reason)?.detail).toContain(expected.detail);
      expect(held?.delivery.rawMailKey).toBe(`inbound/${sesMessageId}`);
    } else if (expected.outcome === 'new') {
      if (!claim) throw new Error('no claim was recorded');
      await expectNew(message, claim, sender, mailsBefore);
      return;
    } else {
      expect(claim).toMatchObject({
        disposition: expected.outcome,
        complaintId: complaintOf(expected.into).complaintId,
      });
      const entry = messages((await detail(claim?.complaintId as string)).timeline).find(
        (m) => m.direction === 'inbound' && m.rawMailKey === claim?.rawMailKey,
      );
      if (expected.outcome === 'reply')
        expect(entry).toMatchObject({ purpose: 'customer', messageId: parsed?.messageId });
      if (expected.outcome === 'automated') expect(entry?.automated?.length).toBeGreaterThan(0);
      if (expected.outcome === 'bounce')
        expect(entry).toMatchObject({
          purpose: 'bounce',
          deliveryFailure: {
            sesMessageId: complaintOf(expected.into).ackSesMessageId,
            ...(expected.status ? { status: expected.status } : {}),
          },
        });
    }
    // Replies, automated mail, bounces and quarantined mail are never answered.
    expect(await mailsTo(sender)).toHaveLength(mailsBefore.length);
  });
});
