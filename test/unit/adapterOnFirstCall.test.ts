import { describe, expect, it } from 'vitest';
import { onFirstCall } from '../../functions/composition/awsAdapters';

// Verifies the adapters whose module and SDK client load on their first call (`onFirstCall`): built
// once however many calls wait for it, a failed load or build surfaces to the caller and is tried again
// on the next call, and the adapter's methods run on the adapter itself.

interface Counter {
  add(n: number): Promise<number>;
}

class StoredCounter implements Counter {
  total = 0;
  async add(n: number) {
    this.total += n;
    return this.total;
  }
}

describe('onFirstCall', () => {
  it('builds the adapter on the first call only, once for calls that arrive together', async () => {
    let builds = 0;
    const counter = onFirstCall<Counter>(async () => {
      builds++;
      return new StoredCounter();
    });
    expect(builds).toBe(0);
    expect(await Promise.all([counter.add(1), counter.add(2)])).toEqual([1, 3]);
    expect(await counter.add(4)).toBe(7);
    expect(builds).toBe(1);
  });

  it('fails the call when the load fails, and loads again on the next call', async () => {
    let attempts = 0;
    const counter = onFirstCall<Counter>(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk not found');
      return new StoredCounter();
    });
    await expect(counter.add(1)).rejects.toThrow('chunk not found');
    expect(await counter.add(1)).toBe(1);
    expect(attempts).toBe(2);
  });

  it('is not mistaken for a promise when awaited itself', async () => {
    const counter = onFirstCall<Counter>(async () => new StoredCounter());
    expect(await counter).toBe(counter);
  });
});
