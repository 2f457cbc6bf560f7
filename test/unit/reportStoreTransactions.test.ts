import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoReportStore, transactionGroups } from '../../functions/adapters/reportStore';

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const updates = [{ partition: 'WORKLOAD', sort: 'TIER#1', add: { open: 1 } }];
const now = new Date('2026-11-30T09:00:00Z');
const mock = mockClient(DynamoDBDocumentClient);
const store = new DynamoReportStore('Complaints', new DynamoDBClient({ region: 'us-east-1' }));

/**
 * DynamoDB Local runs transactions one at a time, so it never answers `TransactionConflict`; DynamoDB
 * does when two projections add to the same counter at once (every event of a kind adds to a few).
 */
describe('DynamoReportStore transaction cancellations', () => {
  afterEach(() => mock.reset());

  it('tries an event again while another projection writes the same counter', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .resolves({});
    await expect(store.apply('e1', updates, now)).resolves.toBe(true);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('gives up after a few conflicts, so that the delivery retries the event', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await expect(store.apply('e1', updates, now)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('counts an event once: its marker exists, nothing is added and nothing is tried again', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    await expect(store.apply('e1', updates, now)).resolves.toBe(false);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('counts the event beyond a listed set that is full, and any other failed condition passes on', async () => {
    const atRisk = {
      partition: 'ATRISK',
      sort: 'WEEK#2026-11-23#CUSTOMER#cus-1',
      addToSets: { reasons: ['reopened'], complaints: ['c1'] },
      listedUpTo: { complaints: { limit: 100, unlisted: 'unlistedFlags' } },
    };
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({});
    await expect(store.apply('e1', [...updates, atRisk], now)).resolves.toBe(true);
    const [first, second] = mock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems);
    expect(first?.[2]?.Update?.ConditionExpression).toContain('size(');
    expect(second?.[2]?.Update).toMatchObject({
      UpdateExpression: 'ADD #n0 :n0, #s0 :s0',
      ExpressionAttributeNames: { '#n0': 'unlistedFlags', '#s0': 'reasons' },
    });
    expect(second?.[2]?.Update?.ConditionExpression).toBeUndefined();

    mock.reset();
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None'));
    await expect(store.apply('e2', [...updates, atRisk], now)).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
  });

  it('passes on any other refusal', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'ValidationError'));
    await expect(store.apply('e1', updates, now)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

describe('DynamoReportStore batches', () => {
  afterEach(() => mock.reset());
  const opened = (id: string, tier = 1) => ({
    eventId: id,
    updates: [{ partition: 'WORKLOAD', sort: `TIER#${tier}`, add: { open: 1 } }],
  });
  const items = (call: number) =>
    mock.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems ?? [];

  it('write a batch in one transaction: a marker per event and each counter once, its numbers summed', async () => {
    mock.on(TransactWriteCommand).resolves({});
    const outcomes = await store.applyAll([opened('e1'), opened('e2'), opened('e3', 2), opened('e1')], now);
    // The second copy of e1 in the batch is one event: counted once.
    expect(outcomes).toEqual([{ counted: true }, { counted: true }, { counted: true }, { counted: false }]);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(items(0).map((i) => i.Put?.Item?.PK ?? i.Update?.Key?.SK)).toEqual([
      'REPORT#EVENT#e1',
      'REPORT#EVENT#e2',
      'REPORT#EVENT#e3',
      'TIER#1',
      'TIER#2',
    ]);
    expect(items(0)[3]?.Update?.ExpressionAttributeValues).toEqual({ ':n0': 2 });
  });

  it('take out the events counted before and write the others again', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None', 'None'))
      .resolves({});
    const outcomes = await store.applyAll([opened('e1'), opened('e2'), opened('e3')], now);
    expect(outcomes).toEqual([{ counted: true }, { counted: false }, { counted: true }]);
    expect(items(1).map((i) => i.Put?.Item?.PK ?? i.Update?.ExpressionAttributeValues?.[':n0'])).toEqual([
      'REPORT#EVENT#e1',
      'REPORT#EVENT#e3',
      2,
    ]);
  });

  it('write each event alone when conflicts outlast the waits, and report what still failed', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'None', 'TransactionConflict'))
      .resolvesOnce({})
      .rejects(new Error('network down'));
    const outcomes = await store.applyAll([opened('e1'), opened('e2')], now);
    expect(outcomes[0]).toEqual({ counted: true });
    expect(outcomes[1]).toMatchObject({ error: expect.any(Error) });
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(6);
  });

  it('fail a whole transaction’s events on any other error, and never mix two events of one listed set', async () => {
    mock.on(TransactWriteCommand).rejects(new Error('throttled'));
    const outcomes = await store.applyAll([opened('e1'), opened('e2')], now);
    expect(outcomes.every((o) => 'error' in o)).toBe(true);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);

    const atRisk = (id: string) => ({
      eventId: id,
      updates: [
        {
          partition: 'ATRISK',
          sort: 'WEEK#2026-11-23#CUSTOMER#cus-1',
          addToSets: { reasons: ['reopened'], complaints: [id] },
          listedUpTo: { complaints: { limit: 100, unlisted: 'unlistedFlags' } },
        },
      ],
    });
    expect(
      transactionGroups([opened('e1'), atRisk('c1'), opened('e2'), atRisk('c2')]).map((g) =>
        g.map((e) => e.eventId),
      ),
    ).toEqual([['e1', 'c1', 'e2'], ['c2']]);
  });

  it('split a batch into transactions of at most 100 actions', () => {
    const events = Array.from({ length: 150 }, (_, i) => opened(`e${i}`, (i % 3) + 1));
    const groups = transactionGroups(events);
    // 97 markers and the 3 tiers' counters, then the other 53 with theirs.
    expect(groups.map((g) => g.length)).toEqual([97, 53]);
  });
});
