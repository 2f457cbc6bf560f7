import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoComplaintStore, recurringListedCustomers } from '../../functions/adapters/complaintStore';
import type { AuditEntry, Complaint } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';

const complaint: Complaint = {
  id: 'k1',
  reference: 'CMP-K10000',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't-k1',
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  version: 2,
};

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/**
 * DynamoDB Local runs transactions one at a time, so it never answers `TransactionConflict`; DynamoDB
 * does when another transaction is writing the same item. Both must reach callers as a ConflictError.
 */
describe('DynamoComplaintStore transaction cancellations', () => {
  const mock = mockClient(DynamoDBDocumentClient);
  const store = new DynamoComplaintStore('Complaints', new DynamoDBClient({ region: 'us-east-1' }));
  afterEach(() => mock.reset());

  const full = () =>
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: marshall({
        customers: new Set(Array.from({ length: recurringListedCustomers }, (_, i) => `c${i}@example.org`)),
        furtherCustomers: 7,
      }),
    });

  it('counts a further customer while other investigations add to the window: the conflict is tried again', async () => {
    mock.on(UpdateCommand).rejects(full());
    mock.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    await expect(store.recordCategoryOccurrence('delivery#w', 'new@example.org')).resolves.toBe(
      recurringListedCustomers + 8,
    );
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('counts a further customer once: their marker exists, nothing is added', async () => {
    mock.on(UpdateCommand).rejects(full());
    mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    await expect(store.recordCategoryOccurrence('delivery#w', 'again@example.org')).resolves.toBe(
      recurringListedCustomers + 7,
    );
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('turns a TransactionConflict on the complaint into a retryable ConflictError', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));
    mock.on(GetCommand).resolves({ Item: { PK: 'COMPLAINT#k1', SK: 'META', ...complaint, version: 1 } });
    const error = await store.save(complaint, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ details: { currentVersion: 1, complaintStatus: 'awaiting_agent' } });
  });

  it('passes on a cancellation that is not about the complaint', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'ValidationError'));
    await expect(store.save(complaint, [])).rejects.toBeInstanceOf(TransactionCanceledException);
  });
  describe('the state change saved with a sent mail', () => {
    const entry = { kind: 'audit', id: 'k1-v2', at: complaint.updatedAt, action: 'test' } as AuditEntry;
    const sent = {
      id: 'k1-ack',
      lease: 'lease-1',
      sesMessageId: 'ses-1',
      complaintId: 'k1',
      customerEmail: 'ann@example.org',
      entry: { ...entry, id: 'k1-ack' },
    };
    // One reason per action: the complaint, its entry, the mail's intent, its SES id record, its entry.
    const outcomes: [string[], string][] = [
      [['ConditionalCheckFailed', 'None', 'None', 'None', 'None'], 'complaintChanged'],
      [['None', 'None', 'TransactionConflict', 'None', 'None'], 'complaintChanged'],
      [['None', 'None', 'ConditionalCheckFailed', 'None', 'None'], 'leaseLost'],
      [['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed', 'None', 'None'], 'leaseLost'],
    ];
    it.each(outcomes)('reads the cancellation reasons %j as %s', async (codes, outcome) => {
      mock.on(TransactWriteCommand).rejects(cancelled(...codes));
      await expect(store.saveWithSentMail(complaint, [entry], sent)).resolves.toBe(outcome);
    });

    it('passes on any other failure, and says saved when written', async () => {
      mock.on(TransactWriteCommand).rejects(cancelled('None', 'ValidationError', 'None', 'None', 'None'));
      await expect(store.saveWithSentMail(complaint, [entry], sent)).rejects.toBeInstanceOf(
        TransactionCanceledException,
      );
      mock.on(TransactWriteCommand).resolves({});
      await expect(store.saveWithSentMail(complaint, [entry], sent)).resolves.toBe('saved');
      const items = mock.commandCalls(TransactWriteCommand).at(-1)?.args[0].input.TransactItems ?? [];
      expect(items.map((i) => Object.keys(i)[0])).toEqual(['Put', 'Put', 'Update', 'Put', 'Put']);
    });
  });
});
