import { describe, expect, it } from 'vitest';
import { complaintIds, freshLike, type RecordedRequest, rewriteRequests } from '../../bench/requestReplay';

const idA = '0123456789abcdef0123456789';
const idB = 'fedcba9876543210fedcba9876';
const S = (s: string) => ({ S: s });
type Body = Pick<RecordedRequest, 'operation' | 'body'>;

/** A complaint filed (with its reference and the customer's address), and an agent's counter of the day. */
const filed = (id: string, reference: string, email: string, token: string): Body => ({
  operation: 'TransactWriteItems',
  body: JSON.stringify({
    ClientRequestToken: token,
    TransactItems: [
      {
        Put: {
          TableName: 'Complaints',
          Item: { PK: S(`COMPLAINT#${id}`), SK: S('META'), reference: S(reference), customerEmail: S(email) },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      { Put: { TableName: 'Complaints', Item: { PK: S(`REF#${reference}`), SK: S('REF'), id: S(id) } } },
    ],
  }),
});
const counted = (id: string): Body => ({
  operation: 'UpdateItem',
  body: JSON.stringify({
    TableName: 'Complaints',
    Key: { PK: S('REPORT#WORKLOAD#2026-11-30'), SK: S('dev-tier1') },
    UpdateExpression: 'ADD #n :one SET lastComplaint = :id',
    ExpressionAttributeNames: { '#n': 'GSI1PK' },
    ExpressionAttributeValues: { ':one': { N: '1234567' }, ':id': S(id) },
  }),
});
const read = (id: string): Body => ({
  operation: 'Query',
  body: JSON.stringify({
    TableName: 'Complaints',
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': S(`COMPLAINT#${id}`) },
  }),
});
const batch: Body = {
  operation: 'BatchWriteItem',
  body: JSON.stringify({
    RequestItems: { Complaints: [{ PutRequest: { Item: { PK: S(`COMPLAINT#${idA}`), SK: S('TL#1') } } }] },
  }),
};

// Each answered before the next was sent, as one complaint's steps are.
const run: RecordedRequest[] = [
  filed(idA, 'CMP-ABCDEF', 'lifecycle1.run12x@bench.example', '6b1c0a4e-1f1e-4c43-9b7e-2f7d3c9a0b11'),
  filed(idB, 'CMP-4F7K2Q', 'lifecycle2.run12x@bench.example', '0d8e7f6a-5b4c-4d3e-8f2a-1b0c9d8e7f6a'),
  counted(idA),
  counted(idB),
  read(idA),
  batch,
].map((r, i) => ({ ...r, sentAt: i, answeredAt: i + 0.5 }));

describe('the ids of a complaint, for a replay of its requests', () => {
  it('finds every value named on behalf of one complaint only, and keeps the shared ones', () => {
    const ids = complaintIds(run, [idA, idB]);
    // The reference without a digit, the addresses' own parts and the transactions' tokens included.
    for (const own of [idA, idB, 'CMP-ABCDEF', 'CMP-4F7K2Q', 'lifecycle1', 'lifecycle2']) {
      expect(ids).toContain(own);
    }
    expect(ids).toContain('6b1c0a4e-1f1e-4c43-9b7e-2f7d3c9a0b11');
    // Named for both complaints (the run's tag, an agent), or no id at all (dates, numbers, words).
    for (const shared of ['run12x', 'dev-tier1', '2026-11-30', 'COMPLAINT', 'WORKLOAD', 'GSI1PK']) {
      expect(ids).not.toContain(shared);
    }
  });

  it('rewrites each id to one fresh value of its shape, the same in every request', () => {
    const ids = complaintIds(run, [idA, idB]);
    const out = rewriteRequests(run, ids, 'Complaints', 'Replay');
    const bodies = out.map((r) => JSON.parse(r.body));
    const freshA = (bodies[0].TransactItems[0].Put.Item.PK.S as string).slice('COMPLAINT#'.length);
    expect(freshA).not.toBe(idA);
    expect(freshA).toMatch(/^[0-9a-f]{26}$/);
    expect(bodies[2].ExpressionAttributeValues[':id'].S).toBe(freshA);
    expect(bodies[4].ExpressionAttributeValues[':pk'].S).toBe(`COMPLAINT#${freshA}`);
    expect(bodies[5].RequestItems.Replay[0].PutRequest.Item.PK.S).toBe(`COMPLAINT#${freshA}`);
    const reference = bodies[0].TransactItems[0].Put.Item.reference.S as string;
    expect(reference).toMatch(/^[A-Z]{3}-[A-Z]{6}$/);
    expect(bodies[0].TransactItems[1].Put.Item.PK.S).toBe(`REF#${reference}`);
    expect(bodies[0].TransactItems[0].Put.Item.customerEmail.S).toMatch(
      /^[a-z]{9}\d\.run12x@bench\.example$/,
    );
    expect(bodies[0].ClientRequestToken).not.toBe('6b1c0a4e-1f1e-4c43-9b7e-2f7d3c9a0b11');
    expect(bodies[1].TransactItems[0].Put.Item.PK.S).not.toContain(freshA);
    // Tables renamed; names, expressions, numbers and shared keys as recorded.
    expect(bodies[0].TransactItems[0].Put.TableName).toBe('Replay');
    expect(bodies[2]).toMatchObject({
      TableName: 'Replay',
      Key: { PK: S('REPORT#WORKLOAD#2026-11-30'), SK: S('dev-tier1') },
      ExpressionAttributeNames: { '#n': 'GSI1PK' },
      ExpressionAttributeValues: { ':one': { N: '1234567' } },
      UpdateExpression: 'ADD #n :one SET lastComplaint = :id',
    });
    // What the replay needs besides: the shared items to copy first, and what orders the requests.
    expect(out[2]?.sharedKeys).toEqual([{ PK: S('REPORT#WORKLOAD#2026-11-30'), SK: S('dev-tier1') }]);
    expect(out[0]?.sharedKeys).toEqual([]);
    expect(out[2]?.ids).toEqual([freshA]);
    expect(out[4]?.sharedQuery).toBe(false);
  });

  it('makes fresh values of the same length and character classes', () => {
    const values = [0.1, 0.9, 0.5, 0.3];
    let i = 0;
    const random = () => values[i++ % values.length] as number;
    expect(freshLike('ab12-Z_x', random)).toMatch(/^[a-z]{2}\d{2}-[A-Z]_[a-z]$/);
    expect(freshLike('c0ffee', random)).toMatch(/^[0-9a-f]{6}$/);
  });
});
