import LRUCache from 'mnemonist/lru-cache.js';
import type { Complaint } from '../core/complaint';

export interface RecentComplaintsOptions {
  /** Most complaints kept; the least recently used goes first. */
  max?: number;
  /** How long a complaint is kept after it was read or written, in milliseconds. */
  maxAgeMs?: number;
  /** The clock the age is measured on (the stack's own, so that tests on a virtual clock agree). */
  now?: () => number;
}

/** A complaint with the time it was kept. */
interface Kept {
  complaint: Complaint;
  keptAt: number;
}

/**
 * The complaints this API process read or wrote last, so that a write can start from the complaint
 * the agent just fetched (GET /complaints/{id}, then the decision) instead of reading it again.
 *
 * A hint, never an authority: a write takes the kept complaint only when its version is the one the
 * caller acted on (If-Match or the body's version), and the write itself is conditional on that version
 * (and on the live task token). Every write of a complaint moves its version, so a kept complaint at the
 * stored version is the stored complaint; one that is not fails that condition, and the route runs
 * again from the stored complaint the failed condition returned (see `startingFromRecent`).
 *
 * Held per process: on AWS each Lambda execution environment of the API function has its own (they
 * share nothing), locally each API worker thread has one. Copies go in and out, so nothing a route does
 * to its complaint changes the kept one.
 */
export class RecentComplaints {
  /** By complaint id; `null` once forgotten (this cache has no delete). */
  private readonly kept: LRUCache<string, Kept | null>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor({ max = 500, maxAgeMs = 60_000, now = Date.now }: RecentComplaintsOptions = {}) {
    this.kept = new LRUCache(max);
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /** The kept complaint, only if it is at `version`. */
  at(id: string, version: number): Complaint | undefined {
    const held = this.fresh(this.kept.get(id));
    return held?.version === version ? structuredClone(held) : undefined;
  }

  /** Keeps the complaint as read or written; an older version never replaces a newer one. */
  keep(complaint: Complaint): void {
    const held = this.fresh(this.kept.peek(complaint.id));
    if (held && held.version > complaint.version) return;
    this.kept.set(complaint.id, { complaint: structuredClone(complaint), keptAt: this.now() });
  }

  /** A kept complaint younger than the maximum age: the age counts from its keeping, not its last use. */
  private fresh(entry: Kept | null | undefined) {
    return entry && this.now() - entry.keptAt < this.maxAgeMs ? entry.complaint : undefined;
  }

  forget(id: string): void {
    if (this.kept.has(id)) this.kept.set(id, null);
  }

  /** Complaints kept (forgotten and expired ones included until they are evicted). */
  get size(): number {
    return this.kept.size;
  }
}
