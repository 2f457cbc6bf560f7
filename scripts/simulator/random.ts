import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { AmountDistribution, DurationDistribution } from './scenario';

/** murmur3's 32-bit finaliser: neighbouring seeds (complaint 1, 2, 3...) become unrelated ones. */
function scramble(seed: number): number {
  let h = seed | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

interface WeightTable {
  keys: string[];
  values: number[];
  total: number;
  /** The last key with a weight above 0 (when rounding leaves the draw past the end). */
  last: string;
}

/** Each weights object's keys and total, read once (a run draws from the same few objects millions of times). */
const weightTables = new WeakMap<object, WeightTable>();

function weightTable(weights: Partial<Record<string, number>>): WeightTable {
  let table = weightTables.get(weights);
  if (!table) {
    const entries = Object.entries(weights) as [string, number][];
    table = {
      keys: entries.map(([key]) => key),
      values: entries.map(([, w]) => w),
      total: entries.reduce((sum, [, w]) => sum + w, 0),
      last: (entries.findLast(([, w]) => w > 0) as [string, number])[0],
    };
    weightTables.set(weights, table);
  }
  return table;
}

/**
 * Seeded randomness for the simulation (pure-rand's xoroshiro128+, the generator fast-check uses): the
 * same seed draws the same numbers in the same order, so a run is reproducible.
 */
export class Random {
  readonly #rng;

  constructor(seed: number) {
    this.#rng = xoroshiro128plus(scramble(seed));
    // Close seeds start close: the first outputs of xoroshiro128+ carry little of the seed's entropy.
    for (let i = 0; i < 8; i++) this.#rng.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.#rng);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller; one value per call keeps the draw order simple). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A key drawn by its weight. */
  pick<K extends string>(weights: Partial<Record<K, number>>): K {
    const { keys, values, total, last } = weightTable(weights);
    let r = this.next() * total;
    for (let i = 0; i < keys.length; i++) {
      r -= values[i] as number;
      if (r < 0) return keys[i] as K;
    }
    return last as K;
  }

  /** A duration in seconds. */
  duration(d: DurationDistribution): number {
    switch (d.kind) {
      case 'fixed':
        return d.value;
      case 'uniform':
        return d.min + this.next() * (d.max - d.min);
      case 'exponential':
        return this.exponential(d.mean);
      case 'lognormal':
        return d.median * Math.exp(d.sigma * this.normal());
    }
  }

  /** A money amount, rounded to cents. */
  amount(d: AmountDistribution): number {
    const value =
      d.kind === 'fixed'
        ? d.value
        : d.kind === 'uniform'
          ? d.min + this.next() * (d.max - d.min)
          : d.median * Math.exp(d.sigma * this.normal());
    return Math.round(value * 100) / 100;
  }
}
