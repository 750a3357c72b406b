import { describe, expect, it } from 'vitest';
import { b64, harness, T0 } from './harness.js';

const MiB = 1024 * 1024;

async function shardIterator(h: Awaited<ReturnType<typeof harness>>, type = 'TRIM_HORIZON') {
  return (await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: type })).ShardIterator as string;
}

describe('GetRecords', () => {
  it('returns data, partition key, sequence number and arrival time (epoch seconds with ms)', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    h.clock.advance(123);
    const put = await h.call('PutRecord', { StreamName: 's', PartitionKey: 'pk', Data: b64('hello') });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h) });
    expect(out.Records).toEqual([{ SequenceNumber: put.SequenceNumber, ApproximateArrivalTimestamp: (T0 + 123) / 1000, Data: b64('hello'), PartitionKey: 'pk' }]);
    expect(out.MillisBehindLatest).toBe(0);
  });

  it('serializes partition keys that need JSON escaping or UTF-8', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const keys = ['quote"back\\slash', 'line\nbreak\u0001', 'ünï 统一码 💣', '</script>'];
    for (const k of keys) await h.call('PutRecord', { StreamName: 's', PartitionKey: k, Data: b64(k) });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h) });
    expect(out.Records.map((r: any) => [r.PartitionKey, Buffer.from(r.Data, 'base64').toString()])).toEqual(keys.map((k) => [k, k]));
  });

  it('returns at most Limit records', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 30 }, (_, i) => ({ PartitionKey: `${i}`, Data: b64(`${i}`) })) });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h), Limit: 7 });
    expect(out.Records.map((r: any) => r.PartitionKey)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('returns at most 10,000 records by default', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const batch = Array.from({ length: 500 }, () => ({ PartitionKey: 'k', Data: '' }));
    for (let i = 0; i < 21; i++) await h.call('PutRecords', { StreamName: 's', Records: batch });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h) });
    expect(out.Records).toHaveLength(10_000);
    expect((await h.call('GetRecords', { ShardIterator: out.NextShardIterator })).Records).toHaveLength(500);
  });

  it('stops before 10 MiB of data in one response', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const nearlyMiB = b64(Buffer.alloc(MiB - 16, 1));
    for (let i = 0; i < 11; i++) await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: nearlyMiB });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h) });
    expect(out.Records).toHaveLength(10);
    expect((await h.call('GetRecords', { ShardIterator: out.NextShardIterator })).Records).toHaveLength(1);
  });

  it('reports MillisBehindLatest as the age of the next unread record, 0 when caught up', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('a') });
    h.clock.advance(5000);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('b') });
    h.clock.advance(2000);
    const first = await h.call('GetRecords', { ShardIterator: await shardIterator(h), Limit: 1 });
    expect(first.MillisBehindLatest).toBe(2000);
    const second = await h.call('GetRecords', { ShardIterator: first.NextShardIterator });
    expect(second.MillisBehindLatest).toBe(0);
  });

  it('answers an empty shard with no records and a next iterator', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const out = await h.call('GetRecords', { ShardIterator: await shardIterator(h, 'LATEST') });
    expect(out).toEqual({ Records: [], MillisBehindLatest: 0, NextShardIterator: expect.any(String) });
  });
});
