/**
 * The Kinesis Data Streams API of the local ingest target, driven end to end by the real
 * `@aws-sdk/client-kinesis` over real HTTP on 127.0.0.1: every action, with the default client (HTTP/2, h2c)
 * and with the HTTP/1.1 handler.
 */
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  MergeShardsCommand,
  paginateListStreams,
  PutRecordCommand,
  PutRecordsCommand,
  RemoveTagsFromStreamCommand,
  SplitShardCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateShardCountCommand,
  waitUntilStreamExists,
  waitUntilStreamNotExists,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTarget, TEST_REGION, type TestTarget } from '../helpers/target.js';

const ACCOUNT = '000000000000';
const HALF = 1n << 127n;
const MAX = (1n << 128n) - 1n;
const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
const text = (data: Uint8Array | undefined) => Buffer.from(data ?? new Uint8Array()).toString('utf8');

let t: TestTarget;
beforeAll(async () => {
  // Functional behaviour only here; the quotas are exercised deterministically in ingest-streams-errors.
  t = await startTestTarget({ limits: false });
});
afterAll(async () => {
  await t?.close();
});

const transports: [string, () => KinesisClient][] = [
  ['the default client (HTTP/2)', () => t.kinesis],
  ['the HTTP/1.1 handler', () => t.kinesisH1],
];

describe.each(transports)('Kinesis Data Streams over %s', (label, client) => {
  const prefix = label.includes('HTTP/2') ? 'h2' : 'h1';
  const name = (s: string) => `${prefix}-${s}`;

  async function readShard(stream: string, shardId: string, type: ShardIteratorType = 'TRIM_HORIZON') {
    const kinesis = client();
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type }))).ShardIterator;
    const records = [];
    for (;;) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(out.Records ?? []));
      if (!out.NextShardIterator || (out.Records ?? []).length === 0) return { records, last: out };
      iterator = out.NextShardIterator;
    }
  }

  it('creates a stream, waits for it, describes, lists, and deletes it (waiters included)', async () => {
    const kinesis = client();
    const stream = name('life');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2, Tags: { purpose: 'test' } }));
    // ACTIVE at once, so the waiter's first poll succeeds (it would otherwise sleep its 10 s minimum delay).
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    const waited = await waitUntilStreamExists({ client: kinesis, maxWaitTime: 60 }, { StreamName: stream });
    expect(waited.state).toBe('SUCCESS');
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    expect(d).toMatchObject({ StreamName: stream, StreamARN: `arn:aws:kinesis:${TEST_REGION}:${ACCOUNT}:stream/${stream}`, StreamStatus: 'ACTIVE', HasMoreShards: false, RetentionPeriodHours: 24 });
    expect(d?.StreamCreationTimestamp).toBeInstanceOf(Date);
    expect(d?.Shards?.map((s) => s.HashKeyRange)).toEqual([
      { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() },
      { StartingHashKey: HALF.toString(), EndingHashKey: MAX.toString() },
    ]);
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    expect(s).toMatchObject({ OpenShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' }, ConsumerCount: 0 });
    const listed = await kinesis.send(new ListStreamsCommand({}));
    expect(listed.StreamNames).toContain(stream);
    expect(listed.StreamSummaries?.find((x) => x.StreamName === stream)?.StreamCreationTimestamp).toBeInstanceOf(Date);
    const limits = await kinesis.send(new DescribeLimitsCommand({}));
    expect(limits.ShardLimit).toBe(500);
    expect(limits.OpenShardCount).toBeGreaterThanOrEqual(2);
    await kinesis.send(new DeleteStreamCommand({ StreamName: stream, EnforceConsumerDeletion: true }));
    await waitUntilStreamNotExists({ client: kinesis, maxWaitTime: 60 }, { StreamName: stream });
  });

  it('pages ListStreams with the SDK paginator', async () => {
    const kinesis = client();
    const names = ['pa', 'pb', 'pc'].map(name);
    for (const n of names) await kinesis.send(new CreateStreamCommand({ StreamName: n, ShardCount: 1 }));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListStreams({ client: kinesis, pageSize: 1 }, {})) {
      seen.push(...(page.StreamNames ?? []));
      pages++;
    }
    for (const n of names) expect(seen).toContain(n);
    expect(pages).toBeGreaterThanOrEqual(3);
    for (const n of names) await kinesis.send(new DeleteStreamCommand({ StreamName: n }));
  });

  it('creates an on-demand stream with 4 shards', async () => {
    const kinesis = client();
    await kinesis.send(new CreateStreamCommand({ StreamName: name('od'), StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name('od') }));
    expect(s).toMatchObject({ OpenShardCount: 4, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
  });

  it('writes with PutRecord and PutRecords and reads the bytes back exactly, with every iterator type', async () => {
    const kinesis = client();
    const stream = name('rw');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    const binary = new Uint8Array(256).map((_, i) => i);
    const first = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'ü-key', Data: binary }));
    expect(first).toMatchObject({ ShardId: id(0), SequenceNumber: expect.stringMatching(/^[1-9]\d*$/) });
    const second = await kinesis.send(new PutRecordCommand({
      StreamName: stream, PartitionKey: 'k', ExplicitHashKey: MAX.toString(), Data: Buffer.from('two'), SequenceNumberForOrdering: first.SequenceNumber,
    }));
    expect(BigInt(second.SequenceNumber!) > BigInt(first.SequenceNumber!)).toBe(true);
    const kib = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `p${i}`, Data: new Uint8Array(1024).fill(i % 256) }));
    const batch = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: kib }));
    expect(batch.FailedRecordCount).toBe(0);
    expect(batch.Records).toHaveLength(500);

    const { records, last } = await readShard(stream, id(0));
    expect(records).toHaveLength(502);
    expect(Buffer.from(records[0]!.Data!)).toEqual(Buffer.from(binary));
    expect(records[0]!.PartitionKey).toBe('ü-key');
    expect(records[0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect(text(records[1]!.Data)).toBe('two');
    expect(Buffer.from(records[501]!.Data!)).toEqual(Buffer.alloc(1024, 499 % 256));
    expect(last.MillisBehindLatest).toBe(0);

    const at = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: id(0), ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: second.SequenceNumber }));
    expect(text((await kinesis.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator, Limit: 1 }))).Records?.[0]?.Data)).toBe('two');
    const after = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: id(0), ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: first.SequenceNumber }));
    expect(text((await kinesis.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator, Limit: 1 }))).Records?.[0]?.Data)).toBe('two');
    const stamp = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: id(0), ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(0) }));
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: stamp.ShardIterator, Limit: 3 }))).Records).toHaveLength(3);
    const latest = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: id(0), ShardIteratorType: 'LATEST' }));
    await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from('newest') }));
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }))).Records?.map((r) => text(r.Data))).toEqual(['newest']);
  });

  it('addresses every stream operation by StreamARN', async () => {
    const kinesis = client();
    const stream = name('arn');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
    const StreamARN = `arn:aws:kinesis:${TEST_REGION}:${ACCOUNT}:stream/${stream}`;
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 60 }, { StreamARN });
    const put = await kinesis.send(new PutRecordCommand({ StreamARN, PartitionKey: 'a', Data: Buffer.from('x') }));
    await kinesis.send(new PutRecordsCommand({ StreamARN, Records: [{ PartitionKey: 'a', Data: Buffer.from('y') }] }));
    const it1 = await kinesis.send(new GetShardIteratorCommand({ StreamARN, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    expect((await kinesis.send(new GetRecordsCommand({ StreamARN, ShardIterator: it1.ShardIterator }))).Records?.map((r) => text(r.Data))).toEqual(['x', 'y']);
    expect((await kinesis.send(new ListShardsCommand({ StreamARN }))).Shards).toHaveLength(2);
    expect((await kinesis.send(new DescribeStreamCommand({ StreamARN }))).StreamDescription?.StreamName).toBe(stream);
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamARN }))).StreamDescriptionSummary?.StreamName).toBe(stream);
    await kinesis.send(new AddTagsToStreamCommand({ StreamARN, Tags: { k: 'v' } }));
    expect((await kinesis.send(new ListTagsForStreamCommand({ StreamARN }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamARN, TagKeys: ['k'] }));
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamARN, RetentionPeriodHours: 48 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamARN, RetentionPeriodHours: 24 }));
    await kinesis.send(new SplitShardCommand({ StreamARN, ShardToSplit: id(0), NewStartingHashKey: '1000' }));
    await kinesis.send(new MergeShardsCommand({ StreamARN, ShardToMerge: id(2), AdjacentShardToMerge: id(3) }));
    await kinesis.send(new UpdateShardCountCommand({ StreamARN, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' }));
    await kinesis.send(new DeleteStreamCommand({ StreamARN }));
    await waitUntilStreamNotExists({ client: kinesis, maxWaitTime: 60 }, { StreamARN });
  });

  it('lists shards with MaxResults, NextToken and ShardFilter', async () => {
    const kinesis = client();
    const stream = name('ls');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 3 }));
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: id(0), NewStartingHashKey: '1000' }));
    const first = await kinesis.send(new ListShardsCommand({ StreamName: stream, MaxResults: 2 }));
    expect(first.Shards?.map((s) => s.ShardId)).toEqual([id(0), id(1)]);
    const rest = await kinesis.send(new ListShardsCommand({ NextToken: first.NextToken }));
    expect(rest.Shards?.map((s) => s.ShardId)).toEqual([id(2), id(3), id(4)]);
    expect(rest.NextToken).toBeUndefined();
    const open = await kinesis.send(new ListShardsCommand({ StreamName: stream, ShardFilter: { Type: 'AT_LATEST' } }));
    expect(open.Shards?.map((s) => s.ShardId)).toEqual([id(1), id(2), id(3), id(4)]);
    const closed = first.Shards![0]!;
    expect(closed.SequenceNumberRange?.EndingSequenceNumber).toMatch(/^\d+$/);
    const after = await kinesis.send(new ListShardsCommand({ StreamName: stream, ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: id(2) } }));
    expect(after.Shards?.map((s) => s.ShardId)).toEqual([id(3), id(4)]);
    const atTime = await kinesis.send(new ListShardsCommand({ StreamName: stream, ShardFilter: { Type: 'FROM_TIMESTAMP', Timestamp: new Date() } }));
    expect(atTime.Shards?.map((s) => s.ShardId)).toEqual([id(1), id(2), id(3), id(4)]);
  });

  it('tags streams by name and by resource ARN', async () => {
    const kinesis = client();
    const stream = name('tags');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    const ResourceARN = `arn:aws:kinesis:${TEST_REGION}:${ACCOUNT}:stream/${stream}`;
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: stream, Tags: { a: '1', b: '2' } }));
    const page = await kinesis.send(new ListTagsForStreamCommand({ StreamName: stream, Limit: 1 }));
    expect(page).toMatchObject({ Tags: [{ Key: 'a', Value: '1' }], HasMoreTags: true });
    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: stream, TagKeys: ['a'] }));
    await kinesis.send(new TagResourceCommand({ ResourceARN, Tags: { c: '3' } }));
    expect((await kinesis.send(new ListTagsForResourceCommand({ ResourceARN }))).Tags).toEqual([{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }]);
    await kinesis.send(new UntagResourceCommand({ ResourceARN, TagKeys: ['b', 'c'] }));
    expect((await kinesis.send(new ListTagsForStreamCommand({ StreamName: stream }))).Tags).toEqual([]);
  });

  it('changes retention both ways', async () => {
    const kinesis = client();
    const stream = name('ret');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: stream, RetentionPeriodHours: 168 }));
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.RetentionPeriodHours).toBe(168);
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: stream, RetentionPeriodHours: 24 }));
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.RetentionPeriodHours).toBe(24);
  });

  it('reshards: parents end with no next iterator and name their children, which hold the newer records', async () => {
    const kinesis = client();
    const stream = name('reshard');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', ExplicitHashKey: '5', Data: Buffer.from('before') }));
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: id(0), NewStartingHashKey: HALF.toString() }));
    const low = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', ExplicitHashKey: '5', Data: Buffer.from('split') }));
    expect(low.ShardId).toBe(id(1));
    await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: id(1), AdjacentShardToMerge: id(2) }));
    const merged = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', ExplicitHashKey: '5', Data: Buffer.from('merged') }));
    expect(merged.ShardId).toBe(id(3));
    const parent = await readShard(stream, id(0));
    expect(parent.records.map((r) => text(r.Data))).toEqual(['before']);
    expect(parent.last.NextShardIterator).toBeUndefined();
    expect(parent.last.ChildShards?.map((c) => [c.ShardId, c.ParentShards])).toEqual([[id(1), [id(0)]], [id(2), [id(0)]]]);
    const middle = await readShard(stream, id(1));
    expect(middle.records.map((r) => text(r.Data))).toEqual(['split']);
    expect(middle.last.ChildShards?.map((c) => [c.ShardId, c.ParentShards])).toEqual([[id(3), [id(1), id(2)]]]);
    expect((await readShard(stream, id(3))).records.map((r) => text(r.Data))).toEqual(['merged']);
    const scaled = await kinesis.send(new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
    expect(scaled).toMatchObject({ StreamName: stream, CurrentShardCount: 1, TargetShardCount: 2 });
    const open = await kinesis.send(new ListShardsCommand({ StreamName: stream, ShardFilter: { Type: 'AT_LATEST' } }));
    expect(open.Shards?.map((s) => s.HashKeyRange)).toEqual([
      { StartingHashKey: '0', EndingHashKey: (HALF - 1n).toString() },
      { StartingHashKey: HALF.toString(), EndingHashKey: MAX.toString() },
    ]);
  });
});

describe('a restarted target on the same data directory', () => {
  it('still has the streams, the records and the positions of iterators it issued', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kedge-streams-restart-'));
    try {
      const first = await startTestTarget({ dataDir, limits: false });
      await first.kinesis.send(new CreateStreamCommand({ StreamName: 'kept', ShardCount: 1 }));
      const put = await first.kinesis.send(new PutRecordsCommand({ StreamName: 'kept', Records: ['a', 'b', 'c'].map((d) => ({ PartitionKey: 'k', Data: Buffer.from(d) })) }));
      const it0 = await first.kinesis.send(new GetShardIteratorCommand({ StreamName: 'kept', ShardId: id(0), ShardIteratorType: 'TRIM_HORIZON' }));
      const page = await first.kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator, Limit: 1 }));
      await first.close();

      const second = await startTestTarget({ dataDir, limits: false });
      try {
        const rest = await second.kinesisH1.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }));
        expect(rest.Records?.map((r) => [r.SequenceNumber, text(r.Data)])).toEqual([[put.Records![1]!.SequenceNumber, 'b'], [put.Records![2]!.SequenceNumber, 'c']]);
        const next = await second.kinesis.send(new PutRecordCommand({ StreamName: 'kept', PartitionKey: 'k', Data: Buffer.from('d') }));
        expect(BigInt(next.SequenceNumber!) > BigInt(put.Records![2]!.SequenceNumber!)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
