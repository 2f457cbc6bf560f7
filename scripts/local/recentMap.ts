/**
 * A Map that keeps only its latest `capacity` entries: setting a key makes it the newest, and beyond
 * `capacity` the oldest one goes. For what the local stand-ins remember of the past (ids seen, tokens
 * spent) without growing with everything that ever ran.
 */
export class RecentMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.capacity) super.delete(this.keys().next().value as K);
    return this;
  }
}
