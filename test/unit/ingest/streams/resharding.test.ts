import { describe, expect, it } from 'vitest';
import { evenHashKeyRanges } from '../../../../src/ingest/streams/hash-key.js';
import { b64, harness, readAll, unb64 } from './harness.js';

const MAX = (1n << 128n) - 1n;
const HALF = 1n << 127n;
const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

async function put(h: Awaited<ReturnType<typeof harness>>, ehk: bigint, text: string) {
  return h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', ExplicitHashKey: ehk.toString(), Data: b64(text) });
}

describe('resharding', () => {
  it('splits then merges, keeping every record readable via parents then children', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await put(h, 1n, 'a-low');
    await put(h, MAX, 'a-high');
    h.clock.advance(1000);
    await h.call('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: HALF.toString() });
    expect((await put(h, 1n, 'b-low')).ShardId).toBe(id(1));
    expect((await put(h, MAX, 'b-high')).ShardId).toBe(id(2));
    h.clock.advance(1000);
    await h.call('MergeShards', { StreamName: 's', ShardToMerge: id(1), AdjacentShardToMerge: id(2) });
    expect((await put(h, 1n, 'c-low')).ShardId).toBe(id(3));
    await put(h, MAX, 'c-high');

    const parent = await readAll(h, 's', id(0));
    expect(parent.records.map((r) => unb64(r.Data))).toEqual(['a-low', 'a-high']);
    expect(parent.last.NextShardIterator).toBeUndefined();
    expect(parent.last.ChildShards).toEqual([
      { ShardId: id(1), ParentShards: [id(0)], HashKeyRange: { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() } },
      { ShardId: id(2), ParentShards: [id(0)], HashKeyRange: { StartingHashKey: HALF.toString(), EndingHashKey: MAX.toString() } },
    ]);
    const low = await readAll(h, 's', id(1));
    expect(low.records.map((r) => unb64(r.Data))).toEqual(['b-low']);
    expect(low.last.ChildShards).toEqual([{ ShardId: id(3), ParentShards: [id(1), id(2)], HashKeyRange: { StartingHashKey: '0', EndingHashKey: MAX.toString() } }]);
    expect((await readAll(h, 's', id(2))).records.map((r) => unb64(r.Data))).toEqual(['b-high']);
    const child = await readAll(h, 's', id(3));
    expect(child.records.map((r) => unb64(r.Data))).toEqual(['c-low', 'c-high']);
    expect(child.last.NextShardIterator).toEqual(expect.any(String));
    expect(child.last.ChildShards).toBeUndefined();

    const { Shards } = await h.call('ListShards', { StreamName: 's' });
    expect(Shards.map((s: any) => [s.ShardId, s.ParentShardId, s.AdjacentParentShardId, s.SequenceNumberRange.EndingSequenceNumber !== undefined])).toEqual([
      [id(0), undefined, undefined, true],
      [id(1), id(0), undefined, true],
      [id(2), id(0), undefined, true],
      [id(3), id(1), id(2), false],
    ]);
    // A parent's EndingSequenceNumber is above all its records and below its children's numbers.
    const ending = BigInt(Shards[0].SequenceNumberRange.EndingSequenceNumber);
    expect(ending > BigInt(parent.records[1].SequenceNumber)).toBe(true);
    expect(ending < BigInt(low.records[0].SequenceNumber)).toBe(true);
  });

  it('answers LATEST on a closed shard with an iterator at its end, which yields its children', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await put(h, 1n, 'x');
    await h.call('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: HALF.toString() });
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: id(0), ShardIteratorType: 'LATEST' });
    const out = await h.call('GetRecords', { ShardIterator });
    expect(out.Records).toEqual([]);
    expect(out.ChildShards.map((c: any) => c.ShardId)).toEqual([id(1), id(2)]);
    const { Shards } = await h.call('ListShards', { StreamName: 's' });
    const ending = Shards[0].SequenceNumberRange.EndingSequenceNumber;
    const at = await h.call('GetShardIterator', { StreamName: 's', ShardId: id(0), ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: ending });
    expect((await h.call('GetRecords', { ShardIterator: at.ShardIterator })).ChildShards).toHaveLength(2);
  });

  it('refuses to split at a hash key outside the shard or to reshard closed shards', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: '1' }, 'InvalidArgumentException',
      /^NewStartingHashKey 1 used in SplitShard\(\) on shard shardId-000000000000 in stream s under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey 170141183460469231731687303715884105727\.$/);
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: HALF.toString() }, 'InvalidArgumentException', /is not both greater/);
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: id(7), NewStartingHashKey: '100' }, 'ResourceNotFoundException', 'Could not find shard shardId-000000000007 in stream s under account 000000000000.');
    await h.call('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: '100' });
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: '200' }, 'InvalidArgumentException', /has already been merged or split/);
    await h.fail('MergeShards', { StreamName: 's', ShardToMerge: id(2), AdjacentShardToMerge: id(1) }, 'InvalidArgumentException',
      'Shards shardId-000000000002 and shardId-000000000001 in stream s under account 000000000000 are not an adjacent pair of shards eligible for merging');
    await h.fail('MergeShards', { StreamName: 's', ShardToMerge: id(0), AdjacentShardToMerge: id(1) }, 'InvalidArgumentException', /has already been merged or split/);
  });

  it('refuses to reshard an on-demand stream', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: '100' }, 'InvalidArgumentException', /ON_DEMAND/);
    await h.fail('UpdateShardCount', { StreamName: 's', TargetShardCount: 5, ScalingType: 'UNIFORM_SCALING' }, 'InvalidArgumentException', /ON_DEMAND/);
  });

  for (const [from, to] of [[1, 2], [2, 3], [3, 2], [4, 2], [5, 3], [3, 6]] as const) {
    it(`scales uniformly from ${from} to ${to} shards with at most two parents per child and no record lost`, async () => {
      const h = await harness();
      await h.call('CreateStream', { StreamName: 's', ShardCount: from });
      const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
      await h.call('PutRecords', { StreamName: 's', Records: keys.map((k) => ({ PartitionKey: k, Data: b64(`before-${k}`) })) });
      const out = await h.call('UpdateShardCount', { StreamName: 's', TargetShardCount: to, ScalingType: 'UNIFORM_SCALING' });
      expect(out).toMatchObject({ StreamName: 's', CurrentShardCount: from, TargetShardCount: to });
      await h.call('PutRecords', { StreamName: 's', Records: keys.map((k) => ({ PartitionKey: k, Data: b64(`after-${k}`) })) });

      const { Shards } = await h.call('ListShards', { StreamName: 's', ShardFilter: { Type: 'AT_LATEST' } });
      const ranges = Shards.map((s: any) => [BigInt(s.HashKeyRange.StartingHashKey), BigInt(s.HashKeyRange.EndingHashKey)]);
      expect(ranges.sort((a: bigint[], b: bigint[]) => (a[0]! < b[0]! ? -1 : 1))).toEqual(
        evenHashKeyRanges(to).map((r) => [r.start, r.end]),
      );
      const all = (await h.call('ListShards', { StreamName: 's' })).Shards;
      let read: string[] = [];
      for (const s of all) read = read.concat((await readAll(h, 's', s.ShardId)).records.map((r) => unb64(r.Data)));
      expect(read.sort()).toEqual([...keys.map((k) => `before-${k}`), ...keys.map((k) => `after-${k}`)].sort());
      // Lineage: every closed shard has children that together cover its hash key range.
      const start = (x: any) => BigInt(x.HashKeyRange.StartingHashKey);
      const end = (x: any) => BigInt(x.HashKeyRange.EndingHashKey);
      for (const s of all.filter((x: any) => x.SequenceNumberRange.EndingSequenceNumber)) {
        const children = all.filter((c: any) => c.ParentShardId === s.ShardId || c.AdjacentParentShardId === s.ShardId).sort((a: any, b: any) => (start(a) < start(b) ? -1 : 1));
        expect(children.length).toBeGreaterThan(0);
        expect(start(children[0]) <= start(s) && end(children[children.length - 1]) >= end(s)).toBe(true);
        for (let i = 1; i < children.length; i++) expect(start(children[i])).toBe(end(children[i - 1]) + 1n);
      }
      expect((await h.call('DescribeStreamSummary', { StreamName: 's' })).StreamDescriptionSummary.OpenShardCount).toBe(to);
    });
  }

  it('limits UpdateShardCount to between half and double the open shards', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 4 });
    await h.fail('UpdateShardCount', { StreamName: 's', TargetShardCount: 9, ScalingType: 'UNIFORM_SCALING' }, 'LimitExceededException', /cannot scale up over double/);
    await h.fail('UpdateShardCount', { StreamName: 's', TargetShardCount: 1, ScalingType: 'UNIFORM_SCALING' }, 'LimitExceededException', /cannot scale down below half/);
    await h.fail('UpdateShardCount', { StreamName: 's', TargetShardCount: 2, ScalingType: 'SIDEWAYS' }, 'ValidationException', /scalingType/);
  });
});
