import { describe, expect, it } from 'vitest';
import { hashKeyOfPartitionKey } from '../../../src/pipeline/aggregation/hash-key.js';
import { HashKeyCache } from '../../../src/pipeline/producer/hash-key-cache.js';

describe('HashKeyCache', () => {
  it('gives the MD5 hash key of every partition key, repeated or not, past its capacity and while bypassed', () => {
    const cache = new HashKeyCache(8);
    // Repeated keys (a hit-rich generation), then unique keys (switches the cache off), then repeated again.
    const keys = [
      ...Array.from({ length: 40 }, (_, i) => `sensor-${i % 5}`),
      ...Array.from({ length: 300 }, (_, i) => `unique-${i}`),
      ...Array.from({ length: 40 }, (_, i) => `device-é-${i % 3}`),
    ];
    for (const key of keys) expect(Buffer.from(cache.hashKeyOf(key)).equals(hashKeyOfPartitionKey(key))).toBe(true);
  });

  it('returns the remembered hash key for a repeated partition key instead of hashing it again', () => {
    const cache = new HashKeyCache(8);
    expect(cache.hashKeyOf('sensor-0001')).toBe(cache.hashKeyOf('sensor-0001'));
  });
});
