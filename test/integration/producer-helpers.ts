/**
 * Shared by the producer integration tests: create a stream, and read a stream back the way a KCL
 * consumer does: every shard from TRIM_HORIZON, every record de-aggregated by aws-kinesis-agg with
 * MD5 checksums on, and every sub-record checked against the hash key range of the shard it came
 * from (KCL drops the ones outside it).
 */
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { hashKeyOfRecord, hashKeyToBigInt } from '../../src/pipeline/aggregation/hash-key.js';
import { deaggregateWithAwsKinesisAgg } from '../helpers/aws-kinesis-agg.js';
import { waitForActive } from '../peers/differential.js';

export interface ReadRecord {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly data: string;
}

export interface ReadBack {
  readonly records: ReadRecord[];
  /** Sub-records found in a shard whose hash key range does not hold them (KCL would drop them). */
  readonly outOfRange: ReadRecord[];
  /** Kinesis records (aggregates count once). */
  readonly kinesisRecords: number;
}

export async function createStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForActive(client, name, 30_000);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries reads the target throttles (5 GetRecords/s per shard with limits on). */
async function withThrottleRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (attempt < 50 && (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException')) {
        await sleep(250);
        continue;
      }
      throw error;
    }
  }
}

async function listAllShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await withThrottleRetry(() =>
      client.send(new ListShardsCommand(token === undefined ? { StreamName: streamName } : { NextToken: token })),
    );
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}

export async function readStream(client: KinesisClient, streamName: string): Promise<ReadBack> {
  const records: ReadRecord[] = [];
  const outOfRange: ReadRecord[] = [];
  let kinesisRecords = 0;
  for (const shard of await listAllShards(client, streamName)) {
    const shardId = shard.ShardId!;
    const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
    const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
    let iterator = (
      await withThrottleRetry(() => client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' })))
    ).ShardIterator;
    while (iterator) {
      const current = iterator;
      const page = await withThrottleRetry(() => client.send(new GetRecordsCommand({ ShardIterator: current, Limit: 10_000 })));
      for (const record of page.Records ?? []) {
        kinesisRecords += 1;
        for (const user of deaggregateWithAwsKinesisAgg({ data: record.Data!, partitionKey: record.PartitionKey! })) {
          const read = { shardId, partitionKey: user.partitionKey, data: user.data.toString() };
          // aws-kinesis-agg reports an EHK on every sub-record once the table is non-empty; ours carry none in these tests.
          const hashKey = hashKeyToBigInt(hashKeyOfRecord(user.partitionKey));
          (hashKey >= start && hashKey <= end ? records : outOfRange).push(read);
        }
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return { records, outOfRange, kinesisRecords };
}

/** Counts of each value. */
export function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** True if, for every partition key, the records' sequence numbers (`<key>:<n>`) only increase in read order. */
export function inKeyOrder(records: readonly ReadRecord[]): boolean {
  const last = new Map<string, number>();
  for (const r of records) {
    const n = Number(r.data.split(':')[1]);
    const previous = last.get(r.partitionKey);
    if (previous !== undefined && n <= previous) return false;
    last.set(r.partitionKey, n);
  }
  return true;
}
