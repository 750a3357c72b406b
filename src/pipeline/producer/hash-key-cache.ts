/**
 * Remembers the MD5 hash key of recently routed partition keys. Devices reuse a few keys (a device
 * id, a sensor name) for millions of records, and the MD5 was the largest routing cost per record;
 * a Map hit costs a fraction of it. A hash key is a pure function of its key, so entries never go
 * stale, whatever happens to the shard map.
 *
 * Bounded: the Map is emptied when it reaches `capacity` keys. Keys that never repeat (the default
 * random key per record) would only pay for misses and inserts, so a generation that ends with few
 * hits switches the cache off for a while before it tries again.
 */
import { hashKeyOfPartitionKey, type HashKey } from '../aggregation/hash-key.js';

export class HashKeyCache {
  readonly #keys = new Map<string, HashKey>();
  #hits = 0;
  /** Lookups left to do without the cache (after a generation with few hits). */
  #bypass = 0;

  constructor(private readonly capacity = 4096) {}

  hashKeyOf(partitionKey: string): HashKey {
    if (this.#bypass > 0) {
      this.#bypass -= 1;
      return hashKeyOfPartitionKey(partitionKey);
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
    const hashKey = hashKeyOfPartitionKey(partitionKey);
    this.#keys.set(partitionKey, hashKey);
    return hashKey;
  }
}
