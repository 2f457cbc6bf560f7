import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import type { OutboundMail } from '../../functions/adapters/ports';
import { acknowledgeAndInvestigate, acknowledgementId } from '../../functions/application/acknowledgement';
import { OutboundMailInFlightError } from '../../functions/application/customerMail';
import type { Deps } from '../../functions/application/deps';
import { investigateOnce } from '../../functions/application/investigation';
import { loadWithTimeline } from '../../functions/application/workflowSupport';
import type { AuditEntry, Complaint, MessageEntry, TimelineEntry } from '../../functions/core/complaint';
import { countedRequests, startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';
import { testSettings } from '../support/settings';

/**
 * The first workflow step on DynamoDB Local: the acknowledgement's `sent` record and the investigation's
 * state change in one transaction, what it does when the complaint moved between its read and that
 * transaction, and a step killed before, during or after the SES call (the process dies: no cleanup).
 */
let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let store: DynamoComplaintStore;
let ledger: DynamoMailLedger;
/** The DynamoDB requests made, by command name (the document client shares the client's middleware). */
let requests: string[];

beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  requests = countedRequests(table.client);
  store = new DynamoComplaintStore('Complaints', table.client);
  ledger = new DynamoMailLedger('Complaints', table.client);
});
afterAll(() => table.close());

const openedAt = new Date('2026-11-24T10:00:00.000Z');
const settings = testSettings();

/** A complaint as intake files it: received, with the customer's mail on its timeline. */
async function filed(id: string): Promise<Complaint> {
  const complaint: Complaint = {
    id,
    reference: `CMP-${id.toUpperCase().padEnd(6, '0').slice(0, 6)}`,
    status: 'received',
    priority: 'normal',
    tier: 1,
    customerEmail: `${id}@example.org`,
    customerName: 'Ann Example',
    subject: 'Parcel never arrived',
    threadToken: `t-${id}`,
    createdAt: openedAt.toISOString(),
    updatedAt: openedAt.toISOString(),
    version: 1,
  };
  const mail: MessageEntry = {
    kind: 'message',
    id: `${id}-in`,
    at: openedAt.toISOString(),
    direction: 'inbound',
    messageId: `<${id}@example.org>`,
    from: complaint.customerEmail,
    to: [settings.supportAddress],
    subject: complaint.subject,
    text: 'My parcel never arrived. I want a refund.',
  };
  await store.create(complaint, [mail]);
  return complaint;
}

/**
 * The step's dependencies over the table. `mailer.send` can run `during` (after SES took the mail,
 * before it answers) or never answer (`hang`: the process died there).
 */
function step(options: { at?: Date; during?: () => Promise<void>; hang?: 'before' | 'after' } = {}) {
  const sent: OutboundMail[] = [];
  const sesIds: string[] = [];
  let ticks = 0;
  let reached: () => void = () => undefined;
  /** Settles once the step called SES. */
  const atSes = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const deps = {
    store,
    ledger,
    settings,
    // A clock that moves on by a millisecond per reading, as time does between two readings.
    clock: () => new Date((options.at ?? new Date(openedAt.getTime() + 60_000)).getTime() + ticks++),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    mailer: {
      send: async (mail: OutboundMail) => {
        reached();
        if (options.hang === 'before') return new Promise<string>(() => undefined);
        sent.push(mail);
        if (options.hang === 'after') return new Promise<string>(() => undefined);
        await options.during?.();
        const id = `ses-${sent.length}-${Math.random().toString(36).slice(2)}`;
        sesIds.push(id);
        return id;
      },
    },
  } as unknown as Deps;
  return { deps, sent, sesIds, atSes };
}

const investigations = (timeline: TimelineEntry[]) =>
  timeline.filter((e): e is AuditEntry => e.kind === 'audit' && e.action === 'startInvestigation');

/** The complaint and what the step left: acknowledgement entries, investigation entries, the mail's intent. */
async function outcome(id: string) {
  const { complaint, timeline } = await loadWithTimeline({ store }, id);
  return {
    complaint,
    timeline,
    acks: timeline.filter((e) => e.id === acknowledgementId(id)),
    investigated: investigations(timeline),
    intent: (
      await table.client.send(
        new GetItemCommand({
          TableName: 'Complaints',
          Key: { PK: { S: `OUTMAIL#${acknowledgementId(id)}` }, SK: { S: 'OUTMAIL' } },
          ConsistentRead: true,
        }),
      )
    ).Item?.state?.S,
  };
}

describe('the first step: acknowledgement and investigation', () => {
  it('records the mail sent and the state change in one transaction: 5 requests; a replay writes and sends nothing', async () => {
    await filed('fold1');
    const first = step();
    requests.length = 0;
    const state = await acknowledgeAndInvestigate(first.deps, 'fold1');
    expect(requests).toEqual(['Query', 'Query', 'UpdateItem', 'TransactWriteItems', 'TransactWriteItems']);
    expect(first.sent).toHaveLength(1);
    expect(state).toMatchObject({ complaintId: 'fold1', known: { status: 'investigating', version: 2 } });

    const found = await outcome('fold1');
    expect(found.complaint).toMatchObject({ status: 'investigating', version: 2 });
    expect(found.acks).toHaveLength(1);
    expect(found.investigated).toHaveLength(1);
    // The acknowledgement first on the timeline, then the investigation, as when they were two writes.
    expect(found.timeline.map((e) => e.id).slice(1)).toEqual([
      acknowledgementId('fold1'),
      found.investigated[0]?.id,
    ]);
    expect(found.intent).toBe('sent');
    const sesMessageId = (found.acks[0] as MessageEntry).messageId as string;
    expect(await ledger.findOutboundMail(sesMessageId)).toEqual({
      complaintId: 'fold1',
      mailId: acknowledgementId('fold1'),
    });

    const replay = step();
    requests.length = 0;
    const again = await acknowledgeAndInvestigate(replay.deps, 'fold1');
    expect(requests).toEqual(['Query']);
    expect(replay.sent).toEqual([]);
    expect(again).toMatchObject({ known: { status: 'investigating', version: 2 } });
  });

  it('records the mail alone and hands the investigation back when the complaint moved after its read', async () => {
    const complaint = await filed('fold2');
    // A customer's second mail (or a bounce) changes the complaint while SES takes the acknowledgement.
    const moved = async () => {
      await store.save({ ...complaint, version: 2, updatedAt: new Date().toISOString() }, [
        {
          kind: 'audit',
          id: 'fold2-reply',
          at: new Date(openedAt.getTime() + 60_000).toISOString(),
          action: 'customerReplied',
          actor: { kind: 'customer', id: complaint.customerEmail },
          toStatus: 'received',
          version: 2,
        },
      ]);
    };
    const first = step({ during: moved });
    await expect(acknowledgeAndInvestigate(first.deps, 'fold2')).resolves.toEqual({
      complaintId: 'fold2',
      investigationPending: true,
    });
    expect(first.sent).toHaveLength(1);
    const after = await outcome('fold2');
    expect(after.complaint).toMatchObject({ status: 'received', version: 2 });
    expect(after.acks).toHaveLength(1);
    expect(after.investigated).toEqual([]);
    expect(after.intent).toBe('sent');

    // The Investigate state redoes the investigation on a fresh read; the step run again sends nothing.
    const { complaint: current, timeline } = await loadWithTimeline({ store }, 'fold2');
    await investigateOnce(step().deps, current, timeline, new Date(openedAt.getTime() + 120_000));
    const replay = step();
    await expect(acknowledgeAndInvestigate(replay.deps, 'fold2')).resolves.toMatchObject({
      known: { status: 'investigating', version: 3 },
    });
    expect(replay.sent).toEqual([]);
    const done = await outcome('fold2');
    expect(done.acks).toHaveLength(1);
    expect(done.investigated).toHaveLength(1);
  });

  it('killed before SES took the mail: a retry waits out the lease, then sends and commits once', async () => {
    await filed('fold3');
    const killed = step({ hang: 'before' });
    void acknowledgeAndInvestigate(killed.deps, 'fold3');
    await killed.atSes;
    // The killed step holds the send lease: a retry within it changes nothing and sends nothing.
    const early = step();
    await expect(acknowledgeAndInvestigate(early.deps, 'fold3')).rejects.toBeInstanceOf(
      OutboundMailInFlightError,
    );
    expect(early.sent).toEqual([]);
    expect((await outcome('fold3')).complaint).toMatchObject({ status: 'received', version: 1 });

    const late = step({ at: new Date(openedAt.getTime() + 60_000 + 46_000) });
    await acknowledgeAndInvestigate(late.deps, 'fold3');
    expect(late.sent).toHaveLength(1);
    const done = await outcome('fold3');
    expect(done.complaint).toMatchObject({ status: 'investigating', version: 2 });
    expect(done.acks).toHaveLength(1);
    expect(done.investigated).toHaveLength(1);
  });

  it('killed after SES took the mail, before its transaction: one acknowledgement and one state change on record', async () => {
    await filed('fold4');
    const killed = step({ hang: 'after' });
    void acknowledgeAndInvestigate(killed.deps, 'fold4');
    await killed.atSes;
    expect(killed.sent).toHaveLength(1);
    expect((await outcome('fold4')).complaint).toMatchObject({ status: 'received', version: 1 });

    // SES has no idempotency token: past the lease, the retry sends its own copy (at least once) and
    // records it with the state change; the record holds one acknowledgement and one investigation.
    const late = step({ at: new Date(openedAt.getTime() + 60_000 + 46_000) });
    await acknowledgeAndInvestigate(late.deps, 'fold4');
    expect(late.sent).toHaveLength(1);
    const done = await outcome('fold4');
    expect(done.complaint).toMatchObject({ status: 'investigating', version: 2 });
    expect(done.acks).toHaveLength(1);
    expect(done.investigated).toHaveLength(1);

    // Killed after the transaction: the step run again finds both done.
    const replay = step({ at: new Date(openedAt.getTime() + 60_000 + 60_000) });
    await acknowledgeAndInvestigate(replay.deps, 'fold4');
    expect(replay.sent).toEqual([]);
    expect((await outcome('fold4')).timeline).toEqual(done.timeline);
  });
  it('whose send lease was taken over while SES was slow: maps its copy, saves the change alone', async () => {
    await filed('fold5');
    const takeOver = async () => {
      await table.client.send(
        new UpdateItemCommand({
          TableName: 'Complaints',
          Key: { PK: { S: `OUTMAIL#${acknowledgementId('fold5')}` }, SK: { S: 'OUTMAIL' } },
          UpdateExpression: 'SET lease = :other',
          ExpressionAttributeValues: { ':other': { S: 'the-taker' } },
        }),
      );
    };
    const slow = step({ during: takeOver });
    await expect(acknowledgeAndInvestigate(slow.deps, 'fold5')).resolves.toMatchObject({
      known: { status: 'investigating', version: 2 },
    });
    const after = await outcome('fold5');
    // The taker records the acknowledgement it sends; this copy is only mapped to the complaint.
    expect(after.acks).toEqual([]);
    expect(after.intent).toBe('sending');
    expect(after.investigated).toHaveLength(1);
    expect(slow.sesIds).toHaveLength(1);
    expect(await ledger.findOutboundMail(slow.sesIds[0] as string)).toEqual({
      complaintId: 'fold5',
      mailId: acknowledgementId('fold5'),
    });
  });
});
