import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';

describe('DynamoMailLedger.completeOutbound on DynamoDB (conflicts DynamoDB Local never answers)', () => {
  const mock = mockClient(DynamoDBDocumentClient);
  const ledger = new DynamoMailLedger('Complaints', new DynamoDBClient({ region: 'us-east-1' }));
  afterEach(() => mock.reset());
  const entry = {
    kind: 'audit',
    id: 'e1',
    at: '2026-11-23T09:00:00.000Z',
    action: 'mail_sent',
    actor: { kind: 'system' },
  };
  const sent = { sesMessageId: 'ses-1', complaintId: 'k1', entry } as unknown as Parameters<
    DynamoMailLedger['completeOutbound']
  >[2];
  const refused = (...codes: string[]) =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

  it('waits out a conflicting write and records the sent mail', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(refused('None', 'TransactionConflict', 'None'))
      .rejectsOnce(refused('TransactionConflict', 'None', 'None'))
      .resolves({});
    await expect(ledger.completeOutbound('m1', 'lease-1', sent)).resolves.toBe(true);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('is false when the lease was lost, and passes on a sixth conflict', async () => {
    mock.on(TransactWriteCommand).rejects(refused('ConditionalCheckFailed', 'None', 'None'));
    await expect(ledger.completeOutbound('m1', 'lease-1', sent)).resolves.toBe(false);
    mock.reset();
    // SES has taken the mail: the record waits out a few more conflicts (its check reads the complaint
    // item, which the workflow writes) before it gives up and leaves the lease to be taken over.
    mock.on(TransactWriteCommand).rejects(refused('None', 'TransactionConflict', 'None'));
    await expect(ledger.completeOutbound('m1', 'lease-1', sent)).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(6);
  });
});
