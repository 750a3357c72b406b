import { describe, expect, it } from 'vitest';
import { ACCOUNT, b64, harness, T0 } from './harness.js';

const arn = (name: string, region = 'us-east-1') => `arn:aws:kinesis:${region}:${ACCOUNT}:stream/${name}`;
const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

describe('stream lifecycle', () => {
  it('creates a provisioned stream and describes it as AWS does', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2, Tags: { team: 'edge' } });
    const { StreamDescription: d } = await h.call('DescribeStream', { StreamName: 's' });
    expect(d).toMatchObject({
      StreamName: 's',
      StreamARN: arn('s'),
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      HasMoreShards: false,
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: T0 / 1000,
      EncryptionType: 'NONE',
    });
    expect(d.Shards.map((s: any) => s.ShardId)).toEqual([id(0), id(1)]);
    expect(d.Shards[0].SequenceNumberRange.EndingSequenceNumber).toBeUndefined();
    const { StreamDescriptionSummary: sum } = await h.call('DescribeStreamSummary', { StreamARN: arn('s') });
    expect(sum).toMatchObject({ StreamName: 's', OpenShardCount: 2, ConsumerCount: 0, RetentionPeriodHours: 24 });
    expect((await h.call('ListTagsForStream', { StreamName: 's' })).Tags).toEqual([{ Key: 'team', Value: 'edge' }]);
  });

  it('creates on-demand streams with 4 shards (also when neither ShardCount nor a mode is given)', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    await h.call('CreateStream', { StreamName: 'plain' });
    for (const name of ['od', 'plain']) {
      const { StreamDescriptionSummary: s } = await h.call('DescribeStreamSummary', { StreamName: name });
      expect(s).toMatchObject({ OpenShardCount: 4, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    }
    await h.fail('CreateStream', { StreamName: 'x', ShardCount: 2, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }, 'InvalidArgumentException', /ShardCount cannot be given/);
    await h.fail('CreateStream', { StreamName: 'x', StreamModeDetails: { StreamMode: 'PROVISIONED' } }, 'InvalidArgumentException', /ShardCount is required/);
    await h.fail('CreateStream', { StreamName: 'x', StreamModeDetails: { StreamMode: 'FAST' } }, 'ValidationException', /at 'streamModeDetails\.streamMode' failed to satisfy constraint: Member must satisfy enum value set: \[PROVISIONED, ON_DEMAND\]/);
    expect(await h.call('DescribeLimits')).toEqual({ ShardLimit: 500, OpenShardCount: 8, OnDemandStreamCount: 2, OnDemandStreamCountLimit: 50 });
  });

  it('deletes a stream at once (EnforceConsumerDeletion accepted), by name or ARN', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 1 });
    await h.call('CreateStream', { StreamName: 'b', ShardCount: 1 });
    await h.call('DeleteStream', { StreamName: 'a', EnforceConsumerDeletion: true });
    await h.call('DeleteStream', { StreamARN: arn('b') });
    expect((await h.call('ListStreams')).StreamNames).toEqual([]);
    await h.fail('DescribeStream', { StreamName: 'a' }, 'ResourceNotFoundException', 'Stream a under account 000000000000 not found.');
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 1 });
  });

  it('keeps streams per region: the request region, or the region of the ARN', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 }, 'eu-west-1');
    expect((await h.call('ListStreams', {}, 'eu-west-1')).StreamNames).toEqual(['s']);
    expect((await h.call('ListStreams', {}, 'us-east-1')).StreamNames).toEqual([]);
    expect((await h.call('DescribeStreamSummary', { StreamARN: arn('s', 'eu-west-1') })).StreamDescriptionSummary.StreamARN).toBe(arn('s', 'eu-west-1'));
    await h.fail('DescribeStreamSummary', { StreamName: 's' }, 'ResourceNotFoundException');
  });

  it('pages DescribeStream with Limit and ExclusiveStartShardId', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 5 });
    const first = (await h.call('DescribeStream', { StreamName: 's', Limit: 2 })).StreamDescription;
    expect(first.Shards.map((s: any) => s.ShardId)).toEqual([id(0), id(1)]);
    expect(first.HasMoreShards).toBe(true);
    const rest = (await h.call('DescribeStream', { StreamName: 's', ExclusiveStartShardId: id(1) })).StreamDescription;
    expect(rest.Shards.map((s: any) => s.ShardId)).toEqual([id(2), id(3), id(4)]);
    expect(rest.HasMoreShards).toBe(false);
  });

  it('pages ListStreams with Limit, NextToken and ExclusiveStartStreamName, with summaries', async () => {
    const h = await harness();
    for (const name of ['c', 'a', 'd', 'b']) await h.call('CreateStream', { StreamName: name, ShardCount: 1 });
    const first = await h.call('ListStreams', { Limit: 3 });
    expect(first).toMatchObject({ StreamNames: ['a', 'b', 'c'], HasMoreStreams: true });
    expect(first.StreamSummaries[0]).toEqual({ StreamName: 'a', StreamARN: arn('a'), StreamStatus: 'ACTIVE', StreamModeDetails: { StreamMode: 'PROVISIONED' }, StreamCreationTimestamp: T0 / 1000 });
    const second = await h.call('ListStreams', { NextToken: first.NextToken });
    expect(second).toMatchObject({ StreamNames: ['d'], HasMoreStreams: false });
    expect(second.NextToken).toBeUndefined();
    expect((await h.call('ListStreams', { ExclusiveStartStreamName: 'b' })).StreamNames).toEqual(['c', 'd']);
    await h.fail('ListStreams', { NextToken: 'forged' }, 'InvalidArgumentException', /Invalid NextToken/);
    h.clock.advance(300_001);
    await h.fail('ListStreams', { NextToken: first.NextToken }, 'ExpiredNextTokenException');
  });
});

describe('StreamARN addressing', () => {
  it('works for every stream operation that takes StreamName', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    const A = { StreamARN: arn('s') };
    const put = await h.call('PutRecord', { ...A, PartitionKey: 'k', Data: b64('x') });
    expect((await h.call('PutRecords', { ...A, Records: [{ PartitionKey: 'k', Data: b64('y') }] })).FailedRecordCount).toBe(0);
    const { ShardIterator } = await h.call('GetShardIterator', { ...A, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
    expect((await h.call('GetRecords', { ...A, ShardIterator })).Records).toHaveLength(2);
    expect((await h.call('ListShards', A)).Shards).toHaveLength(2);
    await h.call('AddTagsToStream', { ...A, Tags: { a: '1' } });
    expect((await h.call('ListTagsForStream', A)).Tags).toEqual([{ Key: 'a', Value: '1' }]);
    await h.call('RemoveTagsFromStream', { ...A, TagKeys: ['a'] });
    await h.call('IncreaseStreamRetentionPeriod', { ...A, RetentionPeriodHours: 30 });
    await h.call('DecreaseStreamRetentionPeriod', { ...A, RetentionPeriodHours: 24 });
    await h.call('SplitShard', { ...A, ShardToSplit: id(0), NewStartingHashKey: '1000' });
    await h.call('MergeShards', { ...A, ShardToMerge: id(2), AdjacentShardToMerge: id(3) });
    await h.call('UpdateShardCount', { ...A, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' });
    expect((await h.call('DescribeStream', A)).StreamDescription.StreamName).toBe('s');
    await h.call('DeleteStream', A);
  });

  it('refuses a GetRecords whose StreamARN is not the iterator\'s stream', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 1 });
    await h.call('CreateStream', { StreamName: 'b', ShardCount: 1 });
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 'a', ShardId: id(0), ShardIteratorType: 'LATEST' });
    await h.fail('GetRecords', { StreamARN: arn('b'), ShardIterator }, 'InvalidArgumentException', /does not match the stream of the ShardIterator/);
  });
});

describe('tags', () => {
  it('adds, overwrites, lists in pages and removes tags', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('AddTagsToStream', { StreamName: 's', Tags: { b: '2', a: '1', c: '3' } });
    await h.call('AddTagsToStream', { StreamName: 's', Tags: { a: 'one' } });
    const page = await h.call('ListTagsForStream', { StreamName: 's', Limit: 2 });
    expect(page).toEqual({ Tags: [{ Key: 'a', Value: 'one' }, { Key: 'b', Value: '2' }], HasMoreTags: true });
    expect(await h.call('ListTagsForStream', { StreamName: 's', ExclusiveStartTagKey: 'b' })).toEqual({ Tags: [{ Key: 'c', Value: '3' }], HasMoreTags: false });
    await h.call('RemoveTagsFromStream', { StreamName: 's', TagKeys: ['a', 'missing'] });
    expect((await h.call('ListTagsForStream', { StreamName: 's' })).Tags.map((t: any) => t.Key)).toEqual(['b', 'c']);
  });

  it('offers TagResource, UntagResource and ListTagsForResource by stream ARN', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('TagResource', { ResourceARN: arn('s'), Tags: { env: 'test' } });
    expect(await h.call('ListTagsForResource', { ResourceARN: arn('s') })).toEqual({ Tags: [{ Key: 'env', Value: 'test' }] });
    await h.call('UntagResource', { ResourceARN: arn('s'), TagKeys: ['env'] });
    expect(await h.call('ListTagsForResource', { ResourceARN: arn('s') })).toEqual({ Tags: [] });
    await h.fail('ListTagsForResource', { ResourceARN: arn('nope') }, 'ResourceNotFoundException', 'Stream nope under account 000000000000 not found.');
  });

  it('refuses more than 50 tags per stream, 10 per call, and illegal characters', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    for (let i = 0; i < 5; i++) {
      await h.call('AddTagsToStream', { StreamName: 's', Tags: Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`k${i}-${j}`, 'v'])) });
    }
    await h.fail('AddTagsToStream', { StreamName: 's', Tags: { one: 'more' } }, 'InvalidArgumentException',
      'Failed to add tags to stream s under account 000000000000 because a given stream cannot have more than 50 tags associated with it.');
    await h.call('AddTagsToStream', { StreamName: 's', Tags: { 'k0-0': 'overwrite is fine' } });
    await h.fail('AddTagsToStream', { StreamName: 's', Tags: Object.fromEntries(Array.from({ length: 11 }, (_, j) => [`n${j}`, 'v'])) }, 'ValidationException', /at 'tags'/);
    await h.fail('AddTagsToStream', { StreamName: 's', Tags: { 'bad#key': 'v' } }, 'InvalidArgumentException', /illegal characters/);
  });
});

describe('ListShards', () => {
  async function resharded() {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    h.clock.advance(60_000);
    await h.call('SplitShard', { StreamName: 's', ShardToSplit: id(0), NewStartingHashKey: '1000' }); // closes 0, opens 2 and 3
    h.clock.advance(60_000);
    return h;
  }
  const ids = (out: any) => out.Shards.map((s: any) => s.ShardId);

  it('pages with MaxResults and a NextToken that must stand alone', async () => {
    const h = await resharded();
    const first = await h.call('ListShards', { StreamName: 's', MaxResults: 3 });
    expect(ids(first)).toEqual([id(0), id(1), id(2)]);
    const second = await h.call('ListShards', { NextToken: first.NextToken, MaxResults: 3 });
    expect(ids(second)).toEqual([id(3)]);
    expect(second.NextToken).toBeUndefined();
    await h.fail('ListShards', { StreamName: 's', NextToken: first.NextToken }, 'InvalidArgumentException', 'NextToken and StreamName cannot be provided together.');
    await h.fail('ListShards', { NextToken: first.NextToken, ExclusiveStartShardId: id(0) }, 'InvalidArgumentException', /NextToken cannot be combined/);
    await h.fail('ListShards', {}, 'InvalidArgumentException', 'Either NextToken or StreamName should be provided.');
    await h.fail('ListShards', { NextToken: 'x.y' }, 'InvalidArgumentException', /Invalid NextToken/);
    h.clock.advance(300_001);
    await h.fail('ListShards', { NextToken: first.NextToken }, 'ExpiredNextTokenException');
  });

  it('starts after ExclusiveStartShardId', async () => {
    const h = await resharded();
    expect(ids(await h.call('ListShards', { StreamName: 's', ExclusiveStartShardId: id(1) }))).toEqual([id(2), id(3)]);
  });

  it('filters with every ShardFilter type', async () => {
    const h = await resharded();
    const list = async (ShardFilter: Record<string, unknown>) => ids(await h.call('ListShards', { StreamName: 's', ShardFilter }));
    expect(await list({ Type: 'AT_LATEST' })).toEqual([id(1), id(2), id(3)]);
    expect(await list({ Type: 'AT_TRIM_HORIZON' })).toEqual([id(0), id(1)]);
    expect(await list({ Type: 'FROM_TRIM_HORIZON' })).toEqual([id(0), id(1), id(2), id(3)]);
    expect(await list({ Type: 'AFTER_SHARD_ID', ShardId: id(1) })).toEqual([id(2), id(3)]);
    expect(await list({ Type: 'AT_TIMESTAMP', Timestamp: (T0 + 30_000) / 1000 })).toEqual([id(0), id(1)]);
    expect(await list({ Type: 'AT_TIMESTAMP', Timestamp: (T0 + 90_000) / 1000 })).toEqual([id(1), id(2), id(3)]);
    expect(await list({ Type: 'FROM_TIMESTAMP', Timestamp: (T0 + 30_000) / 1000 })).toEqual([id(0), id(1), id(2), id(3)]);
    expect(await list({ Type: 'FROM_TIMESTAMP', Timestamp: (T0 + 90_000) / 1000 })).toEqual([id(1), id(2), id(3)]);
    await h.fail('ListShards', { StreamName: 's', ShardFilter: { Type: 'AFTER_SHARD_ID' } }, 'InvalidArgumentException', /needs a ShardId/);
    await h.fail('ListShards', { StreamName: 's', ShardFilter: { Type: 'AT_TIMESTAMP' } }, 'InvalidArgumentException', /needs a Timestamp/);
    await h.fail('ListShards', { StreamName: 's', ShardFilter: { Type: 'SIDEWAYS' } }, 'ValidationException', /at 'shardFilter\.type'/);
  });

  it('keeps the filter across NextToken pages', async () => {
    const h = await resharded();
    const first = await h.call('ListShards', { StreamName: 's', ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 2 });
    expect(ids(first)).toEqual([id(1), id(2)]);
    expect(ids(await h.call('ListShards', { NextToken: first.NextToken }))).toEqual([id(3)]);
  });

  it('stops listing a closed shard once its data is past retention', async () => {
    const h = await resharded();
    h.clock.advance(24 * 3_600_000);
    expect(ids(await h.call('ListShards', { StreamName: 's' }))).toEqual([id(1), id(2), id(3)]);
  });
});
