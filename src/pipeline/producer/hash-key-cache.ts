/**
 * Remembers recently routed partition keys: their MD5 hash key, and the lane the current shard map
 * gives them. Devices reuse a few keys (a device id, a sensor name) for millions of records, and the
 * MD5 and the shard lookup were the largest routing costs per record; a Map hit costs a fraction of
 * them. A hash key is a pure function of its key, so it never goes stale; the lane is tagged with
 * the map version it was chosen under and chosen again when the map changes.
 *
 * Bounded: the Map is emptied when it reaches `capacity` keys. Keys that never repeat (the default
 * random key per record) would only pay for misses and inserts, so a generation that ends with few
 * hits switches the cache off for a while before it tries again.
 */
import { hashKeyOfPartitionKey, type HashKey } from '../aggregation/hash-key.js';

/** One remembered key. `choice` is the caller's routing result, valid while `version` matches its map. */
export interface KnownKey<C> {
  /**
   * The key string first seen: callers keep this one instead of their own equal copy, so that one
   * string per key lives on (a copy decoded per record would be kept alive by every aggregate's key table).
   */
  readonly key: string;
  readonly hashKey: HashKey;
  choice: C | undefined;
  version: number;
}

export class HashKeyCache<C = unknown> {
  readonly #keys = new Map<string, KnownKey<C>>();
  #hits = 0;
  /** Lookups left to do without the cache (after a generation with few hits). */
  #bypass = 0;

  constructor(private readonly capacity = 4096) {}

  hashKeyOf(partitionKey: string): HashKey {
    return this.lookup(partitionKey).hashKey;
  }

  /** The key's entry (remembered, or fresh with `version` -1 and no choice). */
  lookup(partitionKey: string): KnownKey<C> {
    if (this.#bypass > 0) {
      this.#bypass -= 1;
      return { key: partitionKey, hashKey: hashKeyOfPartitionKey(partitionKey), choice: undefined, version: -1 };
    }
    const known = this.#keys.get(partitionKey);
    if (known !== undefined) {
      this.#hits += 1;
      return known;
    }
    if (this.#keys.size >= this.capacity) {
      // Fewer hits than a quarter of the keys held: mostly unique keys, so stop caching for a while.
      if (this.#hits < this.capacity / 4) this.#bypass = this.capacity * 16;
      this.#keys.clear();
      this.#hits = 0;
    }
    const entry: KnownKey<C> = { key: partitionKey, hashKey: hashKeyOfPartitionKey(partitionKey), choice: undefined, version: -1 };
    this.#keys.set(partitionKey, entry);
    return entry;
  }
}
