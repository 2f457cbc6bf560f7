import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoReportStore } from '../../functions/adapters/reportStore';

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const updates = [{ partition: 'WORKLOAD', sort: 'TIER#1', add: { open: 1 } }];
const now = new Date('2026-11-30T09:00:00Z');

/**
 * DynamoDB Local runs transactions one at a time, so it never answers `TransactionConflict`; DynamoDB
 * does when two projections add to the same counter at once (every event of a kind adds to a few).
 */
describe('DynamoReportStore transaction cancellations', () => {
  const mock = mockClient(DynamoDBDocumentClient);
  const store = new DynamoReportStore('Complaints', new DynamoDBClient({ region: 'us-east-1' }));
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
