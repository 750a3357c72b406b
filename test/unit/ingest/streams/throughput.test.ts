import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../../src/ingest/server/service-error.js';
import { b64, harness, scriptedRng } from './harness.js';

const MiB = 1024 * 1024;
const records = (n: number, data = b64('x')) => Array.from({ length: n }, (_, i) => ({ PartitionKey: `k${i}`, Data: data }));

async function limited(extra: Parameters<typeof harness>[0] = {}) {
  const h = await harness({ limits: true, ...extra });
  await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
  return h;
}

describe('write throughput per shard (limits on)', () => {
  it('accepts 1,000 records a second and fails the rest per record, naming shard, stream and account', async () => {
    const h = await limited();
    const first = await h.call('PutRecords', { StreamName: 's', Records: records(500) });
    expect(first.FailedRecordCount).toBe(0);
    const second = await h.call('PutRecords', { StreamName: 's', Records: records(501).slice(0, 500) });
    expect(second.FailedRecordCount).toBe(0);
    const third = await h.call('PutRecords', { StreamName: 's', Records: records(3) });
    expect(third.FailedRecordCount).toBe(3);
    expect(third.Records[0]).toEqual({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
    });
    h.clock.advance(1000);
    expect((await h.call('PutRecords', { StreamName: 's', Records: records(3) })).FailedRecordCount).toBe(0);
  });

  it('accepts 1 MiB a second (data plus partition keys) and fails what goes over', async () => {
    const h = await limited();
    const quarter = b64(Buffer.alloc(256 * 1024 - 2)); // + 2-byte key "k0" = 256 KiB
    const out = await h.call('PutRecords', { StreamName: 's', Records: records(5, quarter).map((r) => ({ ...r, PartitionKey: 'k0' })) });
    expect(out.Records.map((r: any) => r.ErrorCode ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok', 'ProvisionedThroughputExceededException']);
    // Throttled records are not stored.
    const it0 = (await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
    expect((await h.call('GetRecords', { ShardIterator: it0 })).Records).toHaveLength(4);
  });

  it('fails a throttled PutRecord as a whole with ProvisionedThroughputExceededException', async () => {
    const h = await limited();
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64(Buffer.alloc(MiB - 1)) });
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') }, 'ProvisionedThroughputExceededException',
      'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.');
    h.clock.advance(1000);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') });
  });

  it('counts each shard separately', async () => {
    const h = await harness({ limits: true });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    const toShard = (ehk: string, n: number) => Array.from({ length: n }, () => ({ PartitionKey: 'k', ExplicitHashKey: ehk, Data: b64('x') }));
    await h.call('PutRecords', { StreamName: 's', Records: toShard('0', 500) });
    await h.call('PutRecords', { StreamName: 's', Records: toShard('0', 500) });
    const mixed = await h.call('PutRecords', { StreamName: 's', Records: [...toShard('0', 1), ...toShard((1n << 127n).toString(), 1)] });
    expect(mixed.Records.map((r: any) => r.ErrorCode ?? r.ShardId)).toEqual(['ProvisionedThroughputExceededException', 'shardId-000000000001']);
  });

  it('never throttles with limits off', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    for (let i = 0; i < 5; i++) expect((await h.call('PutRecords', { StreamName: 's', Records: records(500) })).FailedRecordCount).toBe(0);
  });
});

describe('read throughput per shard (limits on)', () => {
  it('allows 5 GetRecords calls a second per shard', async () => {
    const h = await limited();
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' });
    for (let i = 0; i < 5; i++) await h.call('GetRecords', { ShardIterator });
    await h.fail('GetRecords', { ShardIterator }, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.');
    h.clock.advance(1000);
    await h.call('GetRecords', { ShardIterator });
  });

  it('throttles the reads of the next seconds after a 10 MiB response (2 MiB/s)', async () => {
    const h = await limited();
    const big = b64(Buffer.alloc(MiB - 1));
    for (let i = 0; i < 10; i++) {
      await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: big });
      h.clock.advance(1000);
    }
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
    const out = await h.call('GetRecords', { ShardIterator });
    expect(out.Records).toHaveLength(10);
    h.clock.advance(3500);
    await h.fail('GetRecords', { ShardIterator: out.NextShardIterator }, 'ProvisionedThroughputExceededException');
    h.clock.advance(1500);
    await h.call('GetRecords', { ShardIterator: out.NextShardIterator });
  });

  it('lets a reader under 2 MiB/s poll without waiting', async () => {
    const h = await limited();
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64(Buffer.alloc(MiB - 1)) });
    let { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
    for (let i = 0; i < 4; i++) ShardIterator = (await h.call('GetRecords', { ShardIterator })).NextShardIterator;
  });

  it('allows 5 GetShardIterator calls a second per shard', async () => {
    const h = await limited();
    const input = { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' };
    for (let i = 0; i < 5; i++) await h.call('GetShardIterator', input);
    await h.fail('GetShardIterator', input, 'ProvisionedThroughputExceededException');
    h.clock.advance(1000);
    await h.call('GetShardIterator', input);
  });
});

describe('fault injection', () => {
  it('fails records drawn below faultRate/2 with InternalFailure and below faultRate with a throttle', async () => {
    const h = await harness({ faultRate: 0.1, rng: scriptedRng([0.01, 0.9, 0.07, 0.5]) });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const out = await h.call('PutRecords', { StreamName: 's', Records: records(4) });
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records[0]).toEqual({ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' });
    expect(out.Records[1].SequenceNumber).toEqual(expect.any(String));
    expect(out.Records[2]).toEqual({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
    });
    expect(out.Records[3].SequenceNumber).toEqual(expect.any(String));
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
    expect((await h.call('GetRecords', { ShardIterator })).Records.map((r: any) => r.PartitionKey)).toEqual(['k1', 'k3']);
  });

  it('fails a whole PutRecord with a 500 InternalFailure or a throttle', async () => {
    const h = await harness({ faultRate: 1, rng: scriptedRng([0.2, 0.7]) });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const err = await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') }, 'InternalFailure', 'Internal service failure.');
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.status).toBe(500);
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') }, 'ProvisionedThroughputExceededException');
  });

  it('draws nothing from the RNG when faultRate is 0', async () => {
    const h = await harness({ faultRate: 0, rng: scriptedRng([]) });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    expect((await h.call('PutRecords', { StreamName: 's', Records: records(10) })).FailedRecordCount).toBe(0);
  });
});
