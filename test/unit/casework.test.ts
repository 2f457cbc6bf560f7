import { describe, expect, it } from 'vitest';
import { listQuerySchema } from '../../functions/api/schemas';
import {
  agentEntryId,
  assertMayWrite,
  assertMergeTarget,
  claimComplaint,
  mergeNote,
  recordReply,
} from '../../functions/core/casework';
import type { Complaint } from '../../functions/core/complaint';
import type { Agent } from '../../functions/core/decisions';

const now = new Date('2026-11-23T10:00:00Z');
const complaint = (changes: Partial<Complaint> = {}): Complaint => ({
  id: 'a'.repeat(26),
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 'Late parcel',
  threadToken: 't',
  createdAt: '2026-11-23T09:00:00Z',
  updatedAt: '2026-11-23T09:00:00Z',
  version: 3,
  ...changes,
});
const agent = (id: string, role: Agent['role']): Agent => ({ kind: 'agent', id, role });

describe('claimComplaint', () => {
  it('assigns an unclaimed complaint to the caller with an audit event', () => {
    const result = claimComplaint(complaint(), agent('ann', 'tier1'), now);
    expect(result?.complaint).toMatchObject({
      assignee: 'ann',
      claimedBy: { id: 'ann', role: 'tier1' },
      status: 'awaiting_agent',
      version: 4,
    });
    expect(result?.audit).toMatchObject({ action: 'claim', version: 4, actor: { id: 'ann' } });
  });

  it('changes nothing when the caller already holds it', () => {
    const held = complaint({
      assignee: 'ann',
      claimedBy: { id: 'ann', role: 'tier1', at: now.toISOString() },
    });
    expect(claimComplaint(held, agent('ann', 'tier1'), now)).toBeUndefined();
  });

  it('refuses a peer (409) but lets a higher role take over', () => {
    const held = complaint({
      assignee: 'ann',
      claimedBy: { id: 'ann', role: 'tier1', at: now.toISOString() },
    });
    expect(() => claimComplaint(held, agent('bob', 'tier1'), now)).toThrow(
      expect.objectContaining({
        name: 'ConflictError',
        details: expect.objectContaining({ assignee: 'ann' }),
      }),
    );
    expect(claimComplaint(held, agent('sue', 'tier2'), now)?.audit.details).toEqual({ takenOverFrom: 'ann' });
  });

  it('counts a workflow assignment as held by the complaint’s tier', () => {
    const assigned = complaint({ tier: 2, assignee: 'proposer' });
    expect(() => claimComplaint(assigned, agent('bob', 'tier2'), now)).toThrow(
      expect.objectContaining({ name: 'ConflictError' }),
    );
    expect(claimComplaint(assigned, agent('boss', 'tier3'), now)?.complaint.assignee).toBe('boss');
  });

  it('forbids a lower tier (403) and closed complaints (409)', () => {
    expect(() => claimComplaint(complaint({ tier: 3 }), agent('ann', 'tier1'), now)).toThrow(
      expect.objectContaining({ name: 'ForbiddenError' }),
    );
    expect(claimComplaint(complaint({ tier: 3 }), agent('max', 'manager'), now)?.complaint.assignee).toBe(
      'max',
    );
    expect(() => claimComplaint(complaint({ status: 'closed' }), agent('ann', 'tier1'), now)).toThrow(
      expect.objectContaining({ name: 'InvalidTransitionError' }),
    );
  });
});

describe('assertMayWrite (the tier rule of every write)', () => {
  const roles: Agent['role'][] = ['tier1', 'tier2', 'tier3', 'manager'];

  it('lets the complaint’s tier and above write, the manager everything, and forbids lower tiers (403)', () => {
    for (const tier of [1, 2, 3] as const) {
      for (const [rank, role] of roles.entries()) {
        const write = () => assertMayWrite(complaint({ tier }), agent('a', role));
        if (rank + 1 >= tier) expect(write, `${role} on tier ${tier}`).not.toThrow();
        else
          expect(write, `${role} on tier ${tier}`).toThrow(
            expect.objectContaining({
              name: 'ForbiddenError',
              details: { tier, requiredRole: `tier${tier}` },
            }),
          );
      }
    }
  });
});

describe('recordReply', () => {
  it('sets the first response once and refuses closed complaints', () => {
    const first = recordReply(complaint(), agent('ann', 'tier1'), now, 'c1-reply-1', 'We are on it.');
    expect(first?.complaint.firstResponseAt).toBe(now.toISOString());
    expect(first?.audit.action).toBe('recordReply');
    // It names the reply it records and keeps its text: a retry after the change, or the reply outbox,
    // finds its mail still owed and can send it.
    expect(first?.audit.details).toEqual({ entryId: 'c1-reply-1', replyText: 'We are on it.' });
    expect(
      recordReply(first?.complaint as Complaint, agent('ann', 'tier1'), now, 'c1-reply-2', 'Again.'),
    ).toBeUndefined();
    expect(() =>
      recordReply(complaint({ status: 'closed' }), agent('ann', 'tier1'), now, 'c1-reply-3', 'Late.'),
    ).toThrow(expect.objectContaining({ name: 'InvalidTransitionError' }));
  });
});

describe('agent timeline entries', () => {
  it('gives a retried request the same entry id and a different text another', () => {
    const c = complaint();
    const ann = agent('ann', 'tier1');
    expect(agentEntryId(c, 'reply', ann, 3, 'Hello')).toBe(agentEntryId(c, 'reply', ann, 3, 'Hello'));
    expect(agentEntryId(c, 'reply', ann, 3, 'Hello')).not.toBe(agentEntryId(c, 'reply', ann, 3, 'Hello!'));
    expect(agentEntryId(c, 'note', ann, 3, 'Hello')).not.toBe(agentEntryId(c, 'reply', ann, 3, 'Hello'));
  });

  it('refuses a self-merge and notes the duplicate on the target', () => {
    const c = complaint();
    expect(() => assertMergeTarget(c, c.id)).toThrow(expect.objectContaining({ name: 'ValidationError' }));
    const target = complaint({ id: 'b'.repeat(26) });
    expect(mergeNote(c, target, agent('ann', 'tier1'), now)).toMatchObject({
      kind: 'note',
      id: `${target.id}-merged-${c.id}`,
      text: expect.stringContaining('CMP-4F7K2Q'),
    });
  });
});

describe('GET /complaints query', () => {
  const parse = (q: Record<string, string>) => listQuerySchema.safeParse(q);
  it('accepts one source with a status filter', () => {
    expect(parse({ assignee: 'me', status: 'resolved' }).success).toBe(true);
    expect(parse({ customer: 'Ann@Example.org' }).data?.customer).toBe('ann@example.org');
    expect(parse({ queue: 'tier2', status: 'awaiting_approval', limit: '10' }).success).toBe(true);
  });
  it('reads a reference as people type it', () => {
    for (const typed of ['CMP-4F7K2Q', 'cmp-4f7k2q', 'CMP4F7K2Q', 'cmp 4f7k2q', ' CMP-4F7K2Q ']) {
      expect(parse({ reference: typed }).data?.reference).toBe('CMP-4F7K2Q');
    }
    // Crockford's alphabet has no I, L or O: they are the 1 and 0 a reader took them for.
    expect(parse({ reference: 'CMP-O1LKIQ' }).data?.reference).toBe('CMP-011K1Q');
    for (const wrong of ['CMP-4F7K2U', 'CMP-4F7K2', 'CMP-4F7K2QQ', 'CMP--4F7K2Q', 'XCMP-4F7K2Q', '4F7K2Q']) {
      expect(parse({ reference: wrong }).success, wrong).toBe(false);
    }
  });
  it('rejects conflicting filters and statuses a queue never holds', () => {
    expect(parse({ queue: 'tier1', assignee: 'me' }).success).toBe(false);
    expect(parse({ customer: 'ann@example.org', reference: 'CMP-4F7K2Q' }).success).toBe(false);
    expect(parse({ status: 'closed' }).success).toBe(false);
    expect(parse({ reference: 'CMP-4F7K2Q', status: 'closed' }).success).toBe(false);
    expect(parse({ customer: 'not-an-email' }).success).toBe(false);
  });
});
