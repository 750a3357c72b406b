import { describe, expect, it } from 'vitest';
import { b64, harness } from './harness.js';

const MiB = 1024 * 1024;
const bytesB64 = (n: number): string => Buffer.alloc(n, 7).toString('base64');

async function withStream(options: Parameters<typeof harness>[0] = {}) {
  const h = await harness(options);
  await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
  return h;
}

describe('limits', () => {
  it('rejects stream names outside [a-zA-Z0-9_.-]{1,128} with ValidationException', async () => {
    const h = await harness();
    await h.fail('CreateStream', { StreamName: 'has space', ShardCount: 1 }, 'ValidationException',
      "1 validation error detected: Value 'has space' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    await h.fail('CreateStream', { StreamName: 'x'.repeat(129), ShardCount: 1 }, 'ValidationException', /Member must have length less than or equal to 128/);
    await h.fail('CreateStream', { ShardCount: 1 }, 'ValidationException', "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null");
    await h.fail('DescribeStream', { StreamName: '' }, 'ValidationException', /Member must have length greater than or equal to 1/);
    await h.call('CreateStream', { StreamName: 'a'.repeat(128), ShardCount: 1 });
  });

  it('lists several violations in one ValidationException', async () => {
    const h = await harness();
    await h.fail('CreateStream', { StreamName: 'bad name', ShardCount: 0 }, 'ValidationException', /^2 validation errors detected: .*streamName.*; Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1$/);
  });

  it('rejects a wrongly typed field with SerializationException', async () => {
    const h = await harness();
    await h.fail('CreateStream', { StreamName: 's', ShardCount: 'two' }, 'SerializationException', 'class java.lang.String can not be converted to an Integer');
    await h.fail('CreateStream', { StreamName: ['s'], ShardCount: 1 }, 'SerializationException', 'Start of list found where not expected');
    const s = await withStream();
    await s.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: 'abc' }, 'SerializationException', /can not be converted to a Blob/);
    await s.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: 'ab!=' }, 'SerializationException', /can not be converted to a Blob/);
  });

  it('bounds ShardCount to 1..100000', async () => {
    const h = await harness();
    await h.fail('CreateStream', { StreamName: 's', ShardCount: 0 }, 'ValidationException', /Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1/);
    await h.fail('CreateStream', { StreamName: 's', ShardCount: 100_001 }, 'ValidationException', /Member must have value less than or equal to 100000/);
  });

  it('refuses shards beyond the account limit with LimitExceededException', async () => {
    const h = await harness({ shardLimit: 10 });
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 8 });
    await h.fail('CreateStream', { StreamName: 'b', ShardCount: 3 }, 'LimitExceededException',
      /^This request would exceed the shard limit for the account 000000000000 in us-east-1\. Current shard count for the account: 8\. Limit: 10\. Number of additional shards that would have resulted from this request: 3\./);
    await h.call('CreateStream', { StreamName: 'b', ShardCount: 2 });
    await h.fail('SplitShard', { StreamName: 'b', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }, 'LimitExceededException', /shard limit/);
    await h.fail('UpdateShardCount', { StreamName: 'a', TargetShardCount: 9, ScalingType: 'UNIFORM_SCALING' }, 'LimitExceededException', /shard limit/);
  });

  it('uses the default account limit of 500 open shards', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 500 });
    await h.fail('CreateStream', { StreamName: 'b', ShardCount: 1 }, 'LimitExceededException', /Limit: 500\./);
  });

  it('answers ResourceInUseException for creating a stream that exists', async () => {
    const h = await withStream();
    await h.fail('CreateStream', { StreamName: 's', ShardCount: 1 }, 'ResourceInUseException', 'Stream s under account 000000000000 already exists.');
  });

  it('names the missing stream and account in ResourceNotFoundException', async () => {
    const h = await harness();
    await h.fail('PutRecord', { StreamName: 'nope', PartitionKey: 'k', Data: b64('x') }, 'ResourceNotFoundException', 'Stream nope under account 000000000000 not found.');
    await h.fail('DescribeStreamSummary', { StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/nope' }, 'ResourceNotFoundException', 'Stream nope under account 000000000000 not found.');
    await h.fail('DeleteStream', { StreamName: 'nope' }, 'ResourceNotFoundException', 'Stream nope under account 000000000000 not found.');
  });

  it('needs StreamName or StreamARN, and both to name the same stream', async () => {
    const h = await withStream();
    await h.fail('DescribeStream', {}, 'InvalidArgumentException', /Neither StreamARN nor StreamName/);
    await h.fail('PutRecords', { Records: [{ PartitionKey: 'k', Data: b64('x') }] }, 'InvalidArgumentException', /Neither StreamARN nor StreamName/);
    await h.fail('DescribeStream', { StreamName: 'other', StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' }, 'InvalidArgumentException', /name different streams/);
    await h.fail('DescribeStream', { StreamARN: 'arn:aws:s3:::bucket' }, 'ValidationException', /at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    await h.fail('DescribeStream', { StreamARN: 'arn:aws:kinesis:us-east-1:111111111111:stream/s' }, 'ResourceNotFoundException', 'Stream s under account 111111111111 not found.');
  });

  it('bounds partition keys to 1..256 characters', async () => {
    const h = await withStream();
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: '', Data: b64('x') }, 'ValidationException',
      "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1");
    await h.fail('PutRecords', { StreamName: 's', Records: [{ PartitionKey: 'ok', Data: b64('x') }, { PartitionKey: 'k'.repeat(257), Data: b64('x') }] }, 'ValidationException',
      /at 'records\.2\.member\.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256/);
    await h.fail('PutRecord', { StreamName: 's', Data: b64('x') }, 'ValidationException', /Value null at 'partitionKey'/);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k'.repeat(256), Data: b64('x') });
  });

  it('bounds data to 1 MiB and data plus partition key to 1 MiB', async () => {
    const h = await withStream();
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: bytesB64(MiB + 1) }, 'ValidationException',
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576");
    await h.fail('PutRecords', { StreamName: 's', Records: [{ PartitionKey: 'k', Data: bytesB64(MiB + 1) }] }, 'ValidationException', /at 'records\.1\.member\.data'/);
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'kk', Data: bytesB64(MiB - 1) }, 'InvalidArgumentException', /max record size of 1048576 bytes/);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: bytesB64(MiB - 1) });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: '' });
  });

  it('checks ExplicitHashKey against its pattern and the range [0, 2^128-1]', async () => {
    const h = await withStream();
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', ExplicitHashKey: '-1', Data: b64('x') }, 'ValidationException', /at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0\|\(\[1-9\]\\d\{0,38\}\)/);
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', ExplicitHashKey: '007', Data: b64('x') }, 'ValidationException', /explicitHashKey/);
    await h.fail('PutRecords', { StreamName: 's', Records: [{ PartitionKey: 'k', ExplicitHashKey: (1n << 128n).toString(), Data: b64('x') }] }, 'InvalidArgumentException',
      'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456');
  });

  it('takes 1..500 records per PutRecords', async () => {
    const h = await withStream();
    const records = (n: number) => Array.from({ length: n }, (_, i) => ({ PartitionKey: `k${i}`, Data: b64('x') }));
    await h.fail('PutRecords', { StreamName: 's', Records: records(501) }, 'ValidationException', /at 'records' failed to satisfy constraint: Member must have length less than or equal to 500/);
    await h.fail('PutRecords', { StreamName: 's', Records: [] }, 'ValidationException', /Member must have length greater than or equal to 1/);
    const ok = await h.call('PutRecords', { StreamName: 's', Records: records(500) });
    expect(ok.FailedRecordCount).toBe(0);
    expect(ok.Records).toHaveLength(500);
  });

  it('bounds a PutRecords request to 10 MiB counting partition keys', async () => {
    const h = await withStream();
    const data = bytesB64(MiB - 256);
    const records = Array.from({ length: 10 }, () => ({ PartitionKey: 'k'.repeat(256), Data: data }));
    // Exactly 10 MiB: accepted.
    expect((await h.call('PutRecords', { StreamName: 's', Records: records })).FailedRecordCount).toBe(0);
    await h.fail('PutRecords', { StreamName: 's', Records: [...records, { PartitionKey: 'k', Data: b64('x') }] }, 'InvalidArgumentException', /over the limit of 10485760 bytes/);
  });

  it('bounds GetRecords Limit to 1..10000 and the iterator to 512 characters', async () => {
    const h = await withStream();
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' });
    await h.fail('GetRecords', { ShardIterator, Limit: 0 }, 'ValidationException', /at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1/);
    await h.fail('GetRecords', { ShardIterator, Limit: 10_001 }, 'ValidationException', /Member must have value less than or equal to 10000/);
    await h.fail('GetRecords', { ShardIterator: 'A'.repeat(513) }, 'ValidationException', /at 'shardIterator'/);
    await h.fail('GetRecords', {}, 'ValidationException', /Value null at 'shardIterator'/);
  });

  it('bounds retention to 24..8760 hours and its direction per call', async () => {
    const h = await withStream();
    await h.fail('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 8761 }, 'InvalidArgumentException',
      'Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.');
    await h.fail('DecreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 23 }, 'InvalidArgumentException',
      'Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.');
    await h.call('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 48 });
    await h.fail('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 36 }, 'InvalidArgumentException',
      'Requested retention period (36 hours) for stream s can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API.');
    await h.fail('DecreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 72 }, 'InvalidArgumentException',
      'Requested retention period (72 hours) for stream s can not be longer than existing retention period (48 hours). Use IncreaseRetentionPeriod API.');
    await h.fail('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 0 }, 'ValidationException', /retentionPeriodHours/);
  });

  it('keeps a new stream CREATING until the clock passes its delay: not writable, not reshardable, then ACTIVE', async () => {
    const h = await harness({ createDelayMs: 500 });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    expect((await h.call('DescribeStreamSummary', { StreamName: 's' })).StreamDescriptionSummary.StreamStatus).toBe('CREATING');
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') }, 'ResourceNotFoundException', 'Stream s under account 000000000000 not found.');
    await h.fail('SplitShard', { StreamName: 's', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }, 'ResourceInUseException',
      'Stream s under account 000000000000 not ACTIVE, instead in state CREATING');
    await h.fail('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 48 }, 'ResourceInUseException', /not ACTIVE, instead in state CREATING/);
    h.clock.advance(500);
    expect((await h.call('DescribeStream', { StreamName: 's' })).StreamDescription.StreamStatus).toBe('ACTIVE');
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') });
  });

  it('keeps a resharded stream UPDATING for its delay, refusing another reshard meanwhile', async () => {
    const h = await harness({ updateDelayMs: 1000 });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    await h.call('SplitShard', { StreamName: 's', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' });
    expect((await h.call('DescribeStreamSummary', { StreamName: 's' })).StreamDescriptionSummary.StreamStatus).toBe('UPDATING');
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('x') });
    await h.fail('MergeShards', { StreamName: 's', ShardToMerge: 'shardId-000000000002', AdjacentShardToMerge: 'shardId-000000000003' }, 'ResourceInUseException', /instead in state UPDATING/);
    h.clock.advance(1000);
    await h.call('MergeShards', { StreamName: 's', ShardToMerge: 'shardId-000000000002', AdjacentShardToMerge: 'shardId-000000000003' });
  });

  it('limits CreateStream to 5 calls a second and 5 streams CREATING when limits are on', async () => {
    const h = await harness({ limits: true, createDelayMs: 10_000 });
    for (let i = 0; i < 5; i++) await h.call('CreateStream', { StreamName: `s${i}`, ShardCount: 1 });
    await h.fail('CreateStream', { StreamName: 'x', ShardCount: 1 }, 'LimitExceededException', /5 streams in CREATING state/);
    h.clock.advance(10_000);
    for (let i = 5; i < 10; i++) await h.call('CreateStream', { StreamName: `s${i}`, ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    h.clock.advance(10_000);
    for (let i = 10; i < 15; i++) await h.call('CreateStream', { StreamName: `s${i}`, ShardCount: 1 });
    h.clock.advance(10_000);
    const fast = await harness({ limits: true });
    for (let i = 0; i < 5; i++) await fast.call('CreateStream', { StreamName: `s${i}`, ShardCount: 1 });
    await fast.fail('CreateStream', { StreamName: 'x', ShardCount: 1 }, 'LimitExceededException', 'Rate exceeded for CreateStream under account 000000000000.');
    fast.clock.advance(1000);
    await fast.call('CreateStream', { StreamName: 'x', ShardCount: 1 });
  });
});
