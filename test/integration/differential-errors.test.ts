/**
 * Differential test of the error paths: the same bad calls against our target, kinesalite and kinesis-local.
 * Our target must answer as AWS does (reference/ingest.md §1, §2, §6: HTTP 400 and AWS's exception name);
 * where a peer answers differently, the case names the peer's answer and why, so the deviation stays documented
 * and the test notices if a peer upgrade changes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { errorSummary, outcome, waitForActive, type Outcome } from '../peers/differential.js';
import { startDifferentialTargets, type DifferentialTarget, type DifferentialTargets } from '../peers/targets.js';
import type { PeerName } from '../peers/peer.js';

const STREAM = 'diff-errors';
const THREE_SHARDS = 'diff-errors-three';
const MISSING = 'diff-errors-missing';
/** One shard, split once in beforeAll: shardId-000000000000 is closed. */
const SPLIT_ONCE = 'diff-errors-split-once';
const ACCOUNT = '000000000000';
const MiB = 1024 * 1024;

interface Expected {
  readonly status: number;
  readonly name: string;
}

interface ErrorCase {
  readonly requirement: string;
  readonly command: (target: DifferentialTarget) => unknown;
  /** What AWS answers, and so what our target must answer. */
  readonly aws: Expected;
  /** What our target's message must say (AWS's wording where we know it). */
  readonly message?: RegExp;
  /** A peer's documented deviation from AWS. */
  readonly peers?: Partial<Record<Exclude<PeerName, 'kedge'>, Expected & { readonly why: string }>>;
}

const validation: Expected = { status: 400, name: 'ValidationException' };
const invalidArgument: Expected = { status: 400, name: 'InvalidArgumentException' };
const notFound: Expected = { status: 400, name: 'ResourceNotFoundException' };

let targets: DifferentialTargets;
/** Per target: a sequence number in shard 0 and the id of shard 1, for the iterator cases. */
const shard0Sequence = new Map<PeerName, string>();

beforeAll(async () => {
  targets = await startDifferentialTargets();
  await Promise.all(
    targets.all.map(async (t) => {
      await t.client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
      await t.client.send(new CreateStreamCommand({ StreamName: THREE_SHARDS, ShardCount: 3 }));
      await t.client.send(new CreateStreamCommand({ StreamName: SPLIT_ONCE, ShardCount: 1 }));
      await waitForActive(t.client, STREAM);
      await waitForActive(t.client, THREE_SHARDS);
      await waitForActive(t.client, SPLIT_ONCE);
      await t.client.send(new SplitShardCommand({ StreamName: SPLIT_ONCE, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String(1n << 127n) }));
      await waitForActive(t.client, SPLIT_ONCE);
      // ExplicitHashKey 0 always lands in shardId-000000000000.
      const put = await t.client.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'k', ExplicitHashKey: '0', Data: Buffer.from('x') }));
      shard0Sequence.set(t.name, put.SequenceNumber as string);
    }),
  );
}, 90_000);

afterAll(async () => {
  await targets?.close();
});

const cases: ErrorCase[] = [
  {
    requirement: 'answers DescribeStream of a missing stream with 400 ResourceNotFoundException naming stream and account',
    command: () => new DescribeStreamCommand({ StreamName: MISSING }),
    aws: notFound,
    message: new RegExp(`^Stream ${MISSING} under account ${ACCOUNT} not found\\.$`),
  },
  {
    requirement: 'answers PutRecord to a missing stream with 400 ResourceNotFoundException',
    command: () => new PutRecordCommand({ StreamName: MISSING, PartitionKey: 'k', Data: Buffer.from('x') }),
    aws: notFound,
    message: new RegExp(`Stream ${MISSING} under account ${ACCOUNT} not found\\.`),
  },
  {
    requirement: 'answers PutRecords to a missing stream with 400 ResourceNotFoundException',
    command: () => new PutRecordsCommand({ StreamName: MISSING, Records: [{ PartitionKey: 'k', Data: Buffer.from('x') }] }),
    aws: notFound,
  },
  {
    requirement: 'answers GetShardIterator of a missing shard with 400 ResourceNotFoundException',
    command: () => new GetShardIteratorCommand({ StreamName: STREAM, ShardId: 'shardId-000000000009', ShardIteratorType: 'TRIM_HORIZON' }),
    aws: notFound,
    message: /shardId-000000000009/,
  },
  {
    requirement: 'rejects an empty partition key with 400 ValidationException',
    command: () => new PutRecordCommand({ StreamName: STREAM, PartitionKey: '', Data: Buffer.from('x') }),
    aws: validation,
    peers: {
      'kinesis-local': { ...invalidArgument, why: 'checks the partition key length itself and answers InvalidArgumentException' },
    },
  },
  {
    requirement: 'rejects a 257-character partition key with 400 ValidationException',
    command: () => new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'p'.repeat(257), Data: Buffer.from('x') }),
    aws: validation,
    peers: {
      'kinesis-local': { ...invalidArgument, why: 'checks the partition key length itself and answers InvalidArgumentException' },
    },
  },
  {
    requirement: 'rejects a record of 1 MiB + 1 byte with 400 ValidationException',
    command: () => new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'k', Data: Buffer.alloc(MiB + 1, 1) }),
    aws: validation,
    peers: {
      'kinesis-local': { ...invalidArgument, why: "checks the stream's max record size (UpdateMaxRecordSize) and answers InvalidArgumentException" },
    },
  },
  {
    requirement: 'rejects a whole PutRecords request when one entry is over 1 MiB with 400 ValidationException',
    command: () =>
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          { PartitionKey: 'k', Data: Buffer.from('ok') },
          { PartitionKey: 'k', Data: Buffer.alloc(MiB + 1, 1) },
        ],
      }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 200, name: '(succeeded)', why: 'fails only that entry (FailedRecordCount 1, ErrorCode InvalidArgumentException) and stores the rest' },
    },
  },
  {
    requirement: 'rejects an ExplicitHashKey that is not a decimal number with 400 ValidationException',
    command: () => new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'k', ExplicitHashKey: 'abc', Data: Buffer.from('x') }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 500, name: 'Unknown', why: 'parses the key as a number without validating it first: HTTP 500 without __type' },
    },
  },
  {
    requirement: 'rejects an ExplicitHashKey of 2^128 with 400 InvalidArgumentException',
    command: () => new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'k', ExplicitHashKey: String(1n << 128n), Data: Buffer.from('x') }),
    aws: invalidArgument,
  },
  {
    requirement: 'rejects PutRecords with no records with 400 ValidationException',
    command: () => new PutRecordsCommand({ StreamName: STREAM, Records: [] }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 200, name: '(succeeded)', why: 'does not check the number of entries in PutRecords' },
    },
  },
  {
    requirement: 'rejects PutRecords with 501 records with 400 ValidationException',
    command: () =>
      new PutRecordsCommand({ StreamName: STREAM, Records: Array.from({ length: 501 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 200, name: '(succeeded)', why: 'does not check the number of entries in PutRecords' },
    },
  },
  {
    requirement: 'rejects a malformed shard iterator with 400 InvalidArgumentException',
    command: () => new GetRecordsCommand({ ShardIterator: 'AAAAAAAAAAGnotAniteratorAtAll' }),
    aws: invalidArgument,
    peers: {
      'kinesis-local': { status: 500, name: 'Unknown', why: 'AES decryption of the iterator throws and becomes an HTTP 500 without __type' },
    },
  },
  {
    requirement: 'rejects GetRecords with Limit 0 with 400 ValidationException',
    command: () => new GetRecordsCommand({ ShardIterator: 'AAAAAAAAAAGnotAniteratorAtAll', Limit: 0 }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 500, name: 'Unknown', why: 'decrypts the iterator before validating Limit' },
    },
  },
  {
    requirement: 'rejects CreateStream of an existing stream with 400 ResourceInUseException',
    command: () => new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }),
    aws: { status: 400, name: 'ResourceInUseException' },
    message: new RegExp(`${STREAM}.*already exists`),
  },
  {
    requirement: 'rejects CreateStream with ShardCount 0 with 400 ValidationException',
    command: () => new CreateStreamCommand({ StreamName: 'diff-zero-shards', ShardCount: 0 }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 400, name: 'LimitExceededException', why: "checks ShardCount against its own 1..1000 range: 'The shard count must be between 1 and 1000'" },
    },
  },
  {
    requirement: 'rejects CreateStream with ShardCount 100001 with 400 ValidationException',
    command: () => new CreateStreamCommand({ StreamName: 'diff-too-many-shards', ShardCount: 100_001 }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 400, name: 'LimitExceededException', why: "checks ShardCount against its own 1..1000 range: 'The shard count must be between 1 and 1000'" },
    },
  },
  {
    requirement: 'rejects a stream name with characters outside [a-zA-Z0-9_.-] with 400 ValidationException',
    command: () => new CreateStreamCommand({ StreamName: 'bad name!', ShardCount: 1 }),
    aws: validation,
    peers: {
      'kinesis-local': { ...invalidArgument, why: 'validates stream names itself and answers InvalidArgumentException' },
    },
  },
  {
    requirement: 'rejects a 129-character stream name with 400 ValidationException',
    command: () => new CreateStreamCommand({ StreamName: 's'.repeat(129), ShardCount: 1 }),
    aws: validation,
    peers: {
      'kinesis-local': { ...invalidArgument, why: 'validates stream names itself and answers InvalidArgumentException' },
    },
  },
  {
    requirement: 'rejects AT_SEQUENCE_NUMBER without StartingSequenceNumber with 400 InvalidArgumentException',
    command: () => new GetShardIteratorCommand({ StreamName: STREAM, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER' }),
    aws: invalidArgument,
  },
  {
    requirement: 'rejects AT_TIMESTAMP without Timestamp with 400 InvalidArgumentException',
    command: () => new GetShardIteratorCommand({ StreamName: STREAM, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP' }),
    aws: invalidArgument,
  },
  {
    requirement: "rejects a sequence number of another shard with 400 InvalidArgumentException",
    command: (t) =>
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: 'shardId-000000000001',
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: shard0Sequence.get(t.name),
      }),
    aws: invalidArgument,
    peers: {
      'kinesis-local': { ...notFound, why: "looks the number up in the shard: 'Unable to find record with provided SequenceNumber'" },
    },
  },
  {
    requirement: 'rejects MergeShards of shards that are not adjacent with 400 InvalidArgumentException',
    command: () =>
      new MergeShardsCommand({ StreamName: THREE_SHARDS, ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000002' }),
    aws: invalidArgument,
  },
  {
    requirement: "rejects SplitShard at a hash key outside the shard's range with 400 InvalidArgumentException",
    command: () =>
      new SplitShardCommand({ StreamName: THREE_SHARDS, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String((1n << 128n) - 1n) }),
    aws: invalidArgument,
  },
  {
    requirement: 'rejects splitting a shard that was already split with 400 InvalidArgumentException',
    command: () => new SplitShardCommand({ StreamName: SPLIT_ONCE, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String(1n << 126n) }),
    aws: invalidArgument,
    message: /has already been merged or split/,
    peers: {
      kinesalite: { status: 200, name: '(succeeded)', why: 'splits a closed shard again (kinesalite issue #109)' },
      'kinesis-local': { status: 400, name: 'ResourceInUseException', why: "answers 'Shard ... is not active' as ResourceInUseException" },
    },
  },
  {
    requirement: 'rejects decreasing retention below 24 hours with 400 InvalidArgumentException',
    command: () => new DecreaseStreamRetentionPeriodCommand({ StreamName: STREAM, RetentionPeriodHours: 23 }),
    aws: invalidArgument,
  },
  {
    requirement: 'rejects increasing retention to less than the current period with 400 InvalidArgumentException',
    command: () => new IncreaseStreamRetentionPeriodCommand({ StreamName: STREAM, RetentionPeriodHours: 12 }),
    aws: invalidArgument,
  },
  {
    requirement: 'rejects increasing retention beyond 8760 hours with 400 InvalidArgumentException',
    command: () => new IncreaseStreamRetentionPeriodCommand({ StreamName: STREAM, RetentionPeriodHours: 8761 }),
    aws: invalidArgument,
    peers: {
      kinesalite: { ...validation, why: 'still has the pre-2020 maximum of 168 hours as a constraint (ValidationException ... less than or equal to 168)' },
    },
  },
  {
    requirement: 'rejects GetRecords with Limit 10001 with 400 ValidationException',
    command: () => new GetRecordsCommand({ ShardIterator: 'AAAAAAAAAAGnotAniteratorAtAll', Limit: 10_001 }),
    aws: validation,
    peers: {
      'kinesis-local': { status: 500, name: 'Unknown', why: 'decrypts the iterator before validating Limit' },
    },
  },
  {
    requirement: 'rejects TRIM_HORIZON with a StartingSequenceNumber with 400 InvalidArgumentException',
    command: (t) =>
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
        StartingSequenceNumber: shard0Sequence.get(t.name),
      }),
    aws: invalidArgument,
    peers: {
      'kinesis-local': { status: 200, name: '(succeeded)', why: 'ignores the StartingSequenceNumber and returns an iterator' },
    },
  },
  {
    requirement: 'rejects ListShards of a missing stream with 400 ResourceNotFoundException',
    command: () => new ListShardsCommand({ StreamName: MISSING }),
    aws: notFound,
  },
];

describe('error paths, compared with kinesalite and kinesis-local', () => {
  it.each(cases)('$requirement', async (c) => {
    const results = await Promise.all(targets.all.map(async (t): Promise<[DifferentialTarget, Outcome]> => [t, await outcome(t.client, c.command(t))]));
    for (const [t, result] of results) {
      const deviation = t.name === 'kedge' ? undefined : c.peers?.[t.name];
      const expected = deviation ? { status: deviation.status, name: deviation.name } : c.aws;
      expect(errorSummary(result), `${t.name}: ${result.ok ? "succeeded" : `${result.status} ${result.name}: ${result.message}`}`).toEqual(expected);
      if (t.name === 'kedge' && c.message && !result.ok) expect(result.message).toMatch(c.message);
    }
  });
});
