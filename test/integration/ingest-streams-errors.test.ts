/**
 * Error paths of the local Kinesis Data Streams API as the real `@aws-sdk/client-kinesis` sees them: every AWS
 * error the target answers must come out as the SDK's exception class (or, for unmodeled codes, its name), over
 * the default client (HTTP/2) and the HTTP/1.1 handler. Clients make one attempt, so nothing is retried away.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  ExpiredIteratorException,
  ExpiredNextTokenException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  InvalidArgumentException,
  KinesisClient,
  LimitExceededException,
  ListShardsCommand,
  MergeShardsCommand,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  SplitShardCommand,
  ValidationException,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rng } from '../../src/core/clock.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../helpers/target.js';

const MiB = 1024 * 1024;
const SHARD0 = 'shardId-000000000000';

/** Clients that make exactly one attempt: both transports. */
function oneShotClients(target: TestTarget): [string, KinesisClient][] {
  const common = { endpoint: target.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  return [
    ['h2', new KinesisClient(common)],
    ['h1', new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() })],
  ];
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('error paths (quotas off)', () => {
  let t: TestTarget;
  let clients: [string, KinesisClient][];
  beforeAll(async () => {
    t = await startTestTarget({ limits: false });
    clients = oneShotClients(t);
  });
  afterAll(async () => {
    for (const [, c] of clients ?? []) c.destroy();
    await t?.close();
  });

  it('raises ResourceNotFoundException with AWS\'s message for an unknown stream', async () => {
    for (const [, k] of clients) {
      const err = await rejection(k.send(new PutRecordCommand({ StreamName: 'missing', PartitionKey: 'k', Data: Buffer.from('x') })));
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err.message).toBe('Stream missing under account 000000000000 not found.');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(await rejection(k.send(new DescribeStreamCommand({ StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/missing' })))).toBeInstanceOf(ResourceNotFoundException);
    }
  });

  it('raises ResourceInUseException for a stream that already exists', async () => {
    for (const [name, k] of clients) {
      await k.send(new CreateStreamCommand({ StreamName: `dup-${name}`, ShardCount: 1 }));
      const err = await rejection(k.send(new CreateStreamCommand({ StreamName: `dup-${name}`, ShardCount: 1 })));
      expect(err).toBeInstanceOf(ResourceInUseException);
      expect(err.message).toBe(`Stream dup-${name} under account 000000000000 already exists.`);
    }
  });

  it('raises ValidationException for constraint violations', async () => {
    for (const [, k] of clients) {
      const err = await rejection(k.send(new CreateStreamCommand({ StreamName: 'bad name!', ShardCount: 1 })));
      expect(err).toBeInstanceOf(ValidationException);
      expect(err.message).toMatch(/^1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint/);
      expect(await rejection(k.send(new CreateStreamCommand({ StreamName: 'ok', ShardCount: 0 })))).toBeInstanceOf(ValidationException);
    }
  });

  it('raises InvalidArgumentException for bad arguments: hash key range, record size, iterators, resharding', async () => {
    for (const [name, k] of clients) {
      const stream = `inv-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
      const ehk = await rejection(k.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', ExplicitHashKey: (1n << 128n).toString(), Data: Buffer.from('x') })));
      expect(ehk).toBeInstanceOf(InvalidArgumentException);
      expect(ehk.message).toMatch(/^Invalid ExplicitHashKey/);
      const big = await rejection(k.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'kk', Data: new Uint8Array(MiB - 1) }] })));
      expect(big).toBeInstanceOf(InvalidArgumentException);
      const badIterator = await rejection(k.send(new GetRecordsCommand({ ShardIterator: Buffer.alloc(60, 1).toString('base64') })));
      expect(badIterator).toBeInstanceOf(InvalidArgumentException);
      expect(badIterator.message).toBe('Invalid ShardIterator.');
      expect(await rejection(k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: SHARD0, ShardIteratorType: 'AT_SEQUENCE_NUMBER' })))).toBeInstanceOf(InvalidArgumentException);
      expect(await rejection(k.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: SHARD0, AdjacentShardToMerge: SHARD0 })))).toBeInstanceOf(InvalidArgumentException);
      expect(await rejection(k.send(new ListShardsCommand({})))).toBeInstanceOf(InvalidArgumentException);
      expect(await rejection(k.send(new DescribeStreamCommand({})))).toBeInstanceOf(InvalidArgumentException);
      expect(await rejection(k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: stream, RetentionPeriodHours: 9000 })))).toBeInstanceOf(InvalidArgumentException);
    }
  });

  it('takes a PutRecords of exactly 10 MiB (data plus partition keys) and refuses one byte more with InvalidArgumentException', async () => {
    for (const [name, k] of clients) {
      const stream = `ten-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      const records = Array.from({ length: 10 }, () => ({ PartitionKey: 'k'.repeat(256), Data: new Uint8Array(MiB - 256) }));
      expect((await k.send(new PutRecordsCommand({ StreamName: stream, Records: records }))).FailedRecordCount).toBe(0);
      const err = await rejection(k.send(new PutRecordsCommand({ StreamName: stream, Records: [...records, { PartitionKey: 'k', Data: new Uint8Array(0) }] })));
      expect(err).toBeInstanceOf(InvalidArgumentException);
      expect(err.message).toMatch(/over the limit of 10485760 bytes/);
    }
  });

  it('raises LimitExceededException past the account shard limit', async () => {
    for (const [name, k] of clients) {
      const err = await rejection(k.send(new CreateStreamCommand({ StreamName: `huge-${name}`, ShardCount: 501 })));
      expect(err).toBeInstanceOf(LimitExceededException);
      expect(err.message).toMatch(/^This request would exceed the shard limit for the account 000000000000 in us-east-1\./);
    }
  });
});

describe('error paths on an injected clock (quotas on)', () => {
  const clock = new ManualClock();
  let t: TestTarget;
  let clients: [string, KinesisClient][];
  beforeAll(async () => {
    t = await startTestTarget({ clock, limits: true });
    clients = oneShotClients(t);
  });
  afterAll(async () => {
    for (const [, c] of clients ?? []) c.destroy();
    await t?.close();
  });

  it('raises ExpiredIteratorException for an iterator older than five minutes', async () => {
    for (const [name, k] of clients) {
      const stream = `exp-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      const { ShardIterator } = await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: SHARD0, ShardIteratorType: 'TRIM_HORIZON' }));
      clock.advance(300_001);
      const err = await rejection(k.send(new GetRecordsCommand({ ShardIterator })));
      expect(err).toBeInstanceOf(ExpiredIteratorException);
      expect(err.message).toMatch(/^Iterator expired\./);
    }
  });

  it('raises ExpiredNextTokenException for a ListShards token older than five minutes', async () => {
    for (const [name, k] of clients) {
      const stream = `tok-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 3 }));
      const { NextToken } = await k.send(new ListShardsCommand({ StreamName: stream, MaxResults: 1 }));
      clock.advance(300_001);
      expect(await rejection(k.send(new ListShardsCommand({ NextToken })))).toBeInstanceOf(ExpiredNextTokenException);
    }
  });

  it('throttles a shard past 1 MiB/s: PutRecord raises ProvisionedThroughputExceededException, PutRecords fails entries', async () => {
    for (const [name, k] of clients) {
      const stream = `thr-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      clock.advance(1000);
      await k.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: new Uint8Array(MiB - 1) }));
      const err = await rejection(k.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('x') })));
      expect(err).toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(err.message).toBe(`Rate exceeded for shard ${SHARD0} in stream ${stream} under account 000000000000.`);
      const batch = await k.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'k', Data: Buffer.from('y') }] }));
      expect(batch.FailedRecordCount).toBe(1);
      expect(batch.Records?.[0]).toMatchObject({ ErrorCode: 'ProvisionedThroughputExceededException' });
      clock.advance(1000);
      expect((await k.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'k', Data: Buffer.from('y') }] }))).FailedRecordCount).toBe(0);
    }
  });

  it('throttles the sixth GetRecords call on a shard within a second', async () => {
    for (const [name, k] of clients) {
      const stream = `reads-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      clock.advance(1000);
      const { ShardIterator } = await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: SHARD0, ShardIteratorType: 'LATEST' }));
      for (let i = 0; i < 5; i++) await k.send(new GetRecordsCommand({ ShardIterator }));
      expect(await rejection(k.send(new GetRecordsCommand({ ShardIterator })))).toBeInstanceOf(ProvisionedThroughputExceededException);
    }
  });

  it('raises InvalidArgumentException for a split outside the shard\'s hash key range', async () => {
    for (const [name, k] of clients) {
      const stream = `split-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      const err = await rejection(k.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: SHARD0, NewStartingHashKey: '1' })));
      expect(err).toBeInstanceOf(InvalidArgumentException);
      expect(err.message).toMatch(/^NewStartingHashKey 1 used in SplitShard\(\) on shard shardId-000000000000/);
    }
  });
});

describe('injected faults', () => {
  // faultRate 1: draws below 0.5 are InternalFailure, the others throttles; each transport uses four draws.
  const draws = [0.1, 0.9, 0.1, 0.9, 0.2, 0.7, 0.3, 0.6];
  let i = 0;
  const rng: Rng = { next: () => draws[i++ % draws.length]! };
  let t: TestTarget;
  let clients: [string, KinesisClient][];
  beforeAll(async () => {
    t = await startTestTarget({ limits: false, faultRate: 1, rng });
    clients = oneShotClients(t);
  });
  afterAll(async () => {
    for (const [, c] of clients ?? []) c.destroy();
    await t?.close();
  });

  it('answers PutRecord with a 500 InternalFailure or a throttle, and fails PutRecords entries', async () => {
    for (const [name, k] of clients) {
      const stream = `fault-${name}`;
      await k.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
      const internal = await rejection(k.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('x') })));
      expect(internal.name).toBe('InternalFailure');
      expect(internal.$fault).toBe('server');
      expect(internal.$metadata.httpStatusCode).toBe(500);
      expect(await rejection(k.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('x') })))).toBeInstanceOf(ProvisionedThroughputExceededException);
      const batch = await k.send(new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: 'a', Data: Buffer.from('1') }, { PartitionKey: 'b', Data: Buffer.from('2') }] }));
      expect(batch.FailedRecordCount).toBe(2);
      expect(batch.Records?.map((r) => r.ErrorCode)).toEqual(['InternalFailure', 'ProvisionedThroughputExceededException']);
      expect(batch.Records?.[0]?.ErrorMessage).toBe('Internal service failure.');
    }
  });
});
