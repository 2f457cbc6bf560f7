import { describe, expect, it } from 'vitest';
import { RecentComplaints } from '../../functions/api/recentComplaints';
import type { Complaint } from '../../functions/core/complaint';

const complaint = (id: string, version: number): Complaint => ({
  id,
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 'Late parcel',
  threadToken: 'tok',
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  version,
});

/** A cache on a clock the test moves. */
function recentOn(options: { max?: number; maxAgeMs?: number } = {}) {
  let now = 1_000_000;
  const recent = new RecentComplaints({ ...options, now: () => now });
  const advance = (ms: number) => {
    now += ms;
  };
  return { recent, advance };
}

describe('the complaints an API process read or wrote last', () => {
  it('gives a kept complaint only at the version the caller acted on', () => {
    const { recent } = recentOn();
    recent.keep(complaint('c1', 4));
    expect(recent.at('c1', 4)?.version).toBe(4);
    expect(recent.at('c1', 3)).toBeUndefined();
    expect(recent.at('c1', 5)).toBeUndefined();
    expect(recent.at('c2', 4)).toBeUndefined();
  });

  it('keeps a bounded number, dropping the least recently used first', () => {
    const { recent } = recentOn({ max: 3 });
    for (const id of ['c1', 'c2', 'c3']) recent.keep(complaint(id, 1));
    recent.at('c1', 1);
    recent.keep(complaint('c4', 1));
    expect(recent.size).toBe(3);
    expect(recent.at('c2', 1)).toBeUndefined();
    expect(recent.at('c1', 1)).toBeDefined();
    expect(recent.at('c4', 1)).toBeDefined();
  });

  it('forgets a complaint once its maximum age has passed since it was read or written, used or not', () => {
    const { recent, advance } = recentOn({ maxAgeMs: 60_000 });
    recent.keep(complaint('c1', 2));
    advance(59_000);
    expect(recent.at('c1', 2)).toBeDefined();
    advance(2_000);
    expect(recent.at('c1', 2)).toBeUndefined();
  });

  it("is updated by the route's own write, never put back by an older read, and forgets on demand", () => {
    const { recent } = recentOn();
    recent.keep(complaint('c1', 2));
    recent.keep(complaint('c1', 3));
    recent.keep(complaint('c1', 2));
    expect(recent.at('c1', 2)).toBeUndefined();
    expect(recent.at('c1', 3)).toBeDefined();
    recent.forget('c1');
    expect(recent.at('c1', 3)).toBeUndefined();
  });

  it('hands out copies: what a route does to its complaint never changes the kept one', () => {
    const { recent } = recentOn();
    const read = complaint('c1', 2);
    recent.keep(read);
    read.subject = 'changed after keeping';
    const started = recent.at('c1', 2);
    if (started) started.status = 'deciding';
    expect(recent.at('c1', 2)).toMatchObject({ subject: 'Late parcel', status: 'awaiting_agent' });
  });
});
