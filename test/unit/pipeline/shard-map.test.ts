import type { Shard } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { KDS_HASH_KEY_MAX } from '../../../src/core/limits.js';
import { hashKeyFromBigInt, hashKeyOfPartitionKey, hashKeyToBigInt } from '../../../src/pipeline/aggregation/hash-key.js';
import { ShardMap, ShardMapError, type ShardDescription } from '../../../src/pipeline/shard-map.js';
import { seededRng } from '../../helpers/seeded-rng.js';

const QUARTER = 1n << 126n;

function shard(id: string, start: bigint, end: bigint, closed = false): ShardDescription {
  return {
    ShardId: id,
    HashKeyRange: { StartingHashKey: start.toString(), EndingHashKey: end.toString() },
    SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '2' } : {}) },
  };
}

/** Four even shards, listed out of order, as a stream with 4 shards would have. */
const fourShards = [
  shard('shardId-000000000002', 2n * QUARTER, 3n * QUARTER - 1n),
  shard('shardId-000000000000', 0n, QUARTER - 1n),
  shard('shardId-000000000003', 3n * QUARTER, KDS_HASH_KEY_MAX),
  shard('shardId-000000000001', QUARTER, 2n * QUARTER - 1n),
];

const readyMap = (shards: ShardDescription[] = fourShards): ShardMap => {
  const map = new ShardMap();
  map.update(shards);
  return map;
};
const lookup = (map: ShardMap, key: bigint): string | undefined => map.shardIdFor(hashKeyFromBigInt(key));

describe('ShardMap', () => {
  it('finds the shard at the first and last hash key of every range, including 0 and 2^128 − 1', () => {
    const map = readyMap();
    for (let i = 0n; i < 4n; i++) {
      const id = `shardId-00000000000${i}`;
      expect(lookup(map, i * QUARTER)).toBe(id);
      expect(lookup(map, i === 3n ? KDS_HASH_KEY_MAX : (i + 1n) * QUARTER - 1n)).toBe(id);
      expect(lookup(map, i * QUARTER + 12345n)).toBe(id);
    }
    expect(map.shards.map((s) => s.shardId)).toEqual([0, 1, 2, 3].map((i) => `shardId-00000000000${i}`));
  });

  it('agrees with a linear scan of the ranges for 2,000 random partition keys', () => {
    const rng = seededRng(99);
    const map = readyMap();
    for (let i = 0; i < 2000; i++) {
      const hashKey = hashKeyOfPartitionKey(`key-${rng.next()}`);
      const value = hashKeyToBigInt(hashKey);
      const expected = map.shards.find((s) => s.startingHashKey <= value && value <= s.endingHashKey)?.shardId;
      expect(map.shardIdFor(hashKey)).toBe(expected);
    }
  });

  it('ignores closed shards (those with an EndingSequenceNumber)', () => {
    const map = readyMap([...fourShards, shard('shardId-parent', 0n, KDS_HASH_KEY_MAX, true)]);
    expect(map.shards).toHaveLength(4);
    expect(lookup(map, 5n)).toBe('shardId-000000000000');
  });

  it('answers undefined until filled, while updating and after being invalidated', () => {
    const map = new ShardMap();
    expect(map.state).toBe('invalid');
    expect(lookup(map, 5n)).toBeUndefined();
    map.update(fourShards);
    expect(map.state).toBe('ready');
    expect(lookup(map, 5n)).toBe('shardId-000000000000');
    map.beginUpdate();
    expect(map.state).toBe('updating');
    expect(lookup(map, 5n)).toBeUndefined();
    expect(map.shards).toEqual([]);
    map.update(fourShards);
    expect(lookup(map, 5n)).toBe('shardId-000000000000');
    map.invalidate();
    expect(lookup(map, 5n)).toBeUndefined();
    expect(map.isPredictedShard('shardId-000000000000', hashKeyFromBigInt(5n))).toBeUndefined();
  });

  it('counts versions so state routed by an old map can be recognised', () => {
    const map = new ShardMap();
    expect(map.version).toBe(0);
    map.update(fourShards);
    map.update(fourShards);
    expect(map.version).toBe(2);
  });

  it('answers undefined for a key in a gap between listed shards', () => {
    const map = readyMap([shard('low', 0n, 99n), shard('high', 200n, KDS_HASH_KEY_MAX)]);
    expect(lookup(map, 99n)).toBe('low');
    expect(lookup(map, 100n)).toBeUndefined();
    expect(lookup(map, 199n)).toBeUndefined();
    expect(lookup(map, 200n)).toBe('high');
  });

  it('tells whether a PutRecords result landed on the predicted shard', () => {
    const map = readyMap();
    const key = hashKeyFromBigInt(QUARTER + 1n);
    expect(map.isPredictedShard('shardId-000000000001', key)).toBe(true);
    expect(map.isPredictedShard('shardId-000000000002', key)).toBe(false);
    expect(map.isPredictedShard('shardId-000000000009', key)).toBe(false);
  });

  it.each([
    ['overlapping open shards', [shard('a', 0n, 100n), shard('b', 50n, KDS_HASH_KEY_MAX)], 'overlapping'],
    ['a range that ends before it starts', [shard('a', 10n, 5n)], 'above EndingHashKey'],
    ['a hash key that is not a decimal', [{ ShardId: 'a', HashKeyRange: { StartingHashKey: '0x1', EndingHashKey: '5' } }], '"0x1"'],
    ['a hash key above 2^128 − 1', [shard('a', 0n, KDS_HASH_KEY_MAX + 1n)], 'above 2^128'],
    ['a shard without an id', [{ HashKeyRange: { StartingHashKey: '0', EndingHashKey: '5' } }], 'without a ShardId'],
  ])('refuses %s with SHARD_MAP_INVALID and stays unusable', (_, shards, detail) => {
    const map = readyMap();
    expect(() => map.update(shards as ShardDescription[])).toThrow(ShardMapError);
    try {
      map.update(shards as ShardDescription[]);
    } catch (error) {
      expect((error as ShardMapError).code).toBe('SHARD_MAP_INVALID');
      expect((error as Error).message).toContain(detail);
    }
    expect(map.state).toBe('invalid');
    expect(lookup(map, 5n)).toBeUndefined();
  });

  it('refuses a hash key that is not 16 bytes', () => {
    expect(() => readyMap().shardIdFor(new Uint8Array(8))).toThrow(RangeError);
  });

  it('takes the AWS SDK\'s ListShards Shard objects as they are', () => {
    const fromSdk: Shard[] = fourShards.map((s) => ({
      ShardId: s.ShardId!,
      HashKeyRange: { StartingHashKey: s.HashKeyRange!.StartingHashKey!, EndingHashKey: s.HashKeyRange!.EndingHashKey! },
      SequenceNumberRange: { StartingSequenceNumber: '1' },
    }));
    const map = new ShardMap();
    map.update(fromSdk);
    expect(map.shards).toHaveLength(4);
  });
});
