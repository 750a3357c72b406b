import { describe, expect, it } from 'vitest';
import { evenHashKeyRanges, hashKeyToBuffer } from '../../../../src/ingest/streams/hash-key.js';
import { hashKeyOfPartitionKey, hashKeyToBigInt } from '../../../../src/pipeline/aggregation/hash-key.js';
import { b64, harness } from './harness.js';

const MAX = (1n << 128n) - 1n;

// MD5 test vectors from RFC 1321 §A.5, read as big-endian uint128, and the shard each lands in for 2, 3, 4 shards.
const VECTORS: [string, string, number[]][] = [
  ['a', '0cc175b9c0f1b6a831c399e269772661', [0, 0, 0]],
  ['abc', '900150983cd24fb0d6963f7d28e17f72', [1, 1, 2]],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0', [1, 2, 3]],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b', [1, 2, 3]],
];

describe('hash keys', () => {
  it('reads MD5 of the UTF-8 partition key as a big-endian uint128', () => {
    for (const [key, hex] of VECTORS) expect(hashKeyToBigInt(hashKeyOfPartitionKey(key))).toBe(BigInt(`0x${hex}`));
    expect(hashKeyToBigInt(hashKeyToBuffer(MAX))).toBe(MAX);
  });

  it('splits the key space like AWS: floor(2^128/n) slices, the last ending at 2^128-1', () => {
    expect(evenHashKeyRanges(2)).toEqual([
      { start: 0n, end: 170141183460469231731687303715884105727n },
      { start: 170141183460469231731687303715884105728n, end: MAX },
    ]);
    expect(evenHashKeyRanges(3)).toEqual([
      { start: 0n, end: 113427455640312821154458202477256070484n },
      { start: 113427455640312821154458202477256070485n, end: 226854911280625642308916404954512140969n },
      { start: 226854911280625642308916404954512140970n, end: MAX },
    ]);
  });

  it('reports the even split in DescribeStream', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 3 });
    const { StreamDescription } = await h.call('DescribeStream', { StreamName: 's' });
    expect(StreamDescription.Shards.map((s: any) => [s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey])).toEqual([
      ['0', '113427455640312821154458202477256070484'],
      ['113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
      ['226854911280625642308916404954512140970', MAX.toString()],
    ]);
  });

  for (const [n, column] of [[2, 0], [3, 1], [4, 2]] as const) {
    it(`puts each partition key into the shard whose range holds its MD5 (${n} shards)`, async () => {
      const h = await harness();
      await h.call('CreateStream', { StreamName: 's', ShardCount: n });
      for (const [key, , expected] of VECTORS) {
        const out = await h.call('PutRecord', { StreamName: 's', PartitionKey: key, Data: b64('x') });
        expect(out.ShardId, key).toBe(`shardId-${String(expected[column]).padStart(12, '0')}`);
      }
      const batch = await h.call('PutRecords', { StreamName: 's', Records: VECTORS.map(([key]) => ({ PartitionKey: key, Data: b64('y') })) });
      expect(batch.Records.map((r: any) => r.ShardId)).toEqual(VECTORS.map(([, , e]) => `shardId-${String(e[column]).padStart(12, '0')}`));
    });
  }

  it('routes by ExplicitHashKey instead of the partition key, boundaries included', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    const put = (ehk: string) => h.call('PutRecord', { StreamName: 's', PartitionKey: 'abc', ExplicitHashKey: ehk, Data: b64('x') });
    expect((await put('0')).ShardId).toBe('shardId-000000000000');
    expect((await put('170141183460469231731687303715884105727')).ShardId).toBe('shardId-000000000000');
    expect((await put('170141183460469231731687303715884105728')).ShardId).toBe('shardId-000000000001');
    expect((await put(MAX.toString())).ShardId).toBe('shardId-000000000001');
  });

  it('hashes the UTF-8 bytes of non-ASCII partition keys', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 4 });
    const key = 'ünïcødé 统一码 💣';
    const expected = Number(hashKeyToBigInt(hashKeyOfPartitionKey(key)) / (((1n << 128n)) / 4n));
    const out = await h.call('PutRecord', { StreamName: 's', PartitionKey: key, Data: b64('x') });
    expect(out.ShardId).toBe(`shardId-00000000000${expected}`);
    const { Records } = await h.call('GetRecords', {
      ShardIterator: (await h.call('GetShardIterator', { StreamName: 's', ShardId: out.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator,
    });
    expect(Records[0].PartitionKey).toBe(key);
  });
});
