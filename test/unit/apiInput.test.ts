import { describe, expect, it } from 'vitest';
import { versionOfIfMatch } from '../../functions/api/complaintRoutes';
import { type CursorScope, openCursor, signCursor } from '../../functions/api/cursors';
import { problem } from '../../functions/api/problem';
import {
  approvalRequestSchema,
  listQuerySchema,
  quarantineListQuerySchema,
  resolutionRequestSchema,
} from '../../functions/api/schemas';

const key = async () => new TextEncoder().encode('unit-test-signing-key');

const storeCursor = Buffer.from(
  JSON.stringify({
    PK: 'COMPLAINT#a',
    SK: 'META',
    GSI2PK: 'QUEUE#tier1',
    GSI2SK: '2026-11-23T10:00:00.000Z#a',
  }),
).toString('base64url');
const tier1: CursorScope = ['queue', 'tier1', undefined];

describe('pagination cursors', () => {
  it('give back the repository cursor to the list that issued it', async () => {
    const signed = (await signCursor(key, tier1, storeCursor)) as string;
    expect(await openCursor(key, tier1, signed)).toBe(storeCursor);
    expect(await signCursor(key, tier1, undefined)).toBeUndefined();
    expect(await openCursor(key, tier1, undefined)).toBeUndefined();
  });

  it('refuse forged, tampered, truncated and other lists’ cursors with a 400 validation error', async () => {
    const signed = (await signCursor(key, tier1, storeCursor)) as string;
    const forged = Buffer.from(JSON.stringify({ PK: 1, evil: true })).toString('base64url');
    const mac = signed.slice(signed.lastIndexOf('.') + 1);
    const flipLast = (s: string) => `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
    const refused: [string, CursorScope, string][] = [
      ['unsigned repository cursor', tier1, storeCursor],
      ['forged JSON object', tier1, forged],
      ['forged JSON with a borrowed MAC', tier1, `${forged}.${mac}`],
      ['last MAC character changed', tier1, flipLast(signed)],
      ['truncated', tier1, signed.slice(0, -3)],
      ['cursor part changed', tier1, `x${signed}`],
      ['another queue', ['queue', 'tier2', undefined], signed],
      ['another status filter', ['queue', 'tier1', 'awaiting_agent'], signed],
      ['another list', ['customer', 'ann@example.org', undefined], signed],
      ['only a dot', tier1, '.'],
      ['garbage', tier1, '%%%'],
    ];
    for (const [what, scope, cursor] of refused) {
      await expect(openCursor(key, scope, cursor), what).rejects.toMatchObject({
        name: 'ValidationError',
        details: { issues: [{ path: 'cursor' }] },
      });
    }
  });
});

describe('If-Match', () => {
  it('takes one quoted safe non-negative integer', () => {
    expect(versionOfIfMatch('"3"')).toBe(3);
    expect(versionOfIfMatch(' "0" ')).toBe(0);
    expect(versionOfIfMatch(`"${Number.MAX_SAFE_INTEGER}"`)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses weak tags, lists, *, unquoted or signed numbers and numbers past 2^53 (400)', () => {
    for (const header of [
      'W/"3"',
      '"1", "2"',
      '*',
      '3',
      '"-1"',
      '"1e3"',
      '"3.0"',
      '""',
      '',
      `"${'9'.repeat(400)}"`,
      `"${Number.MAX_SAFE_INTEGER + 1}"`,
    ]) {
      expect(() => versionOfIfMatch(header), header).toThrow(
        expect.objectContaining({
          name: 'ValidationError',
          details: { issues: [expect.objectContaining({ path: 'If-Match' })] },
        }),
      );
    }
  });
});

describe('numbers in bodies and queries', () => {
  const resolution = (amount: unknown) => ({
    type: 'refund',
    amount,
    summary: 'Refunded.',
    rootCause: 'carrier_delay',
  });

  it('refuses amounts DynamoDB cannot store or that are not positive and bounded', () => {
    for (const amount of [1e-131, 1e126, 1e300, -0, 0, -5, 1_000_000.01, Number.NaN, '12']) {
      expect(resolutionRequestSchema.safeParse(resolution(amount)).success, String(amount)).toBe(false);
    }
    expect(resolutionRequestSchema.safeParse(resolution(40.5)).success).toBe(true);
  });

  it('takes versions as safe non-negative integers only', () => {
    for (const version of [-1, 1.5, 2 ** 53, 1e300, '3']) {
      expect(approvalRequestSchema.safeParse({ decision: 'approve', version }).success, String(version)).toBe(
        false,
      );
    }
    expect(approvalRequestSchema.safeParse({ decision: 'approve', version: 0 }).success).toBe(true);
  });

  it('bounds limits and tiers in queries', () => {
    for (const limit of ['0', '101', '1e400', 'NaN', '-0', '1.5', '99999999999999999999']) {
      expect(listQuerySchema.safeParse({ limit }).success, limit).toBe(false);
      expect(quarantineListQuerySchema.safeParse({ limit }).success, limit).toBe(false);
    }
    for (const tier of ['0', '4', '1e400', '2.5'])
      expect(listQuerySchema.safeParse({ tier }).success).toBe(false);
    expect(listQuerySchema.safeParse({ limit: '100', tier: '3' }).success).toBe(true);
  });
});

describe('problem details', () => {
  it('keep status the HTTP status whatever the error details say', () => {
    const res = problem(409, 'Conflict', 'stale', {
      status: 'awaiting_agent',
      complaintStatus: 'awaiting_agent',
    });
    expect(JSON.parse(res.body)).toMatchObject({ status: 409, complaintStatus: 'awaiting_agent' });
  });
});
