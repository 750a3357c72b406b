/**
 * Per-shard aggregation against a real Kinesis implementation (kinesalite on 127.0.0.1): the shard
 * map built from ListShards predicts where each aggregate lands, the aggregate's ExplicitHashKey
 * (its first user record's hash key) puts it there, and every user record inside belongs to that
 * shard, which is what KCL checks before it hands sub-records out.
 */
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateKinesisRecord } from '../../src/core/record-validation.js';
import { Aggregator, type KinesisEntry, type UserRecord } from '../../src/pipeline/aggregation/aggregator.js';
import { deaggregate } from '../../src/pipeline/aggregation/deaggregate.js';
import { hashKeyOfRecord, hashKeyToBigInt } from '../../src/pipeline/aggregation/hash-key.js';
import { ShardMap } from '../../src/pipeline/shard-map.js';
import { deaggregateWithAwsKinesisAgg } from '../helpers/aws-kinesis-agg.js';
import { seededRng } from '../helpers/seeded-rng.js';
import { kinesisClient } from '../peers/clients.js';
import { startKinesalite } from '../peers/kinesalite.js';
import type { RunningPeer } from '../peers/peer.js';

let peer: RunningPeer;
let client: KinesisClient;

beforeAll(async () => {
  peer = await startKinesalite();
  client = kinesisClient(peer.url, { http: '1.1' });
});

afterAll(async () => {
  client?.destroy();
  await peer?.close();
});

async function createStream(name: string, shardCount: number): Promise<ShardMap> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 1 }, { StreamName: name });
  return listShardMap(name);
}

async function listShardMap(name: string): Promise<ShardMap> {
  const map = new ShardMap();
  map.beginUpdate();
  const listed = await client.send(new ListShardsCommand({ StreamName: name }));
  map.update(listed.Shards ?? []);
  return map;
}

/** Groups records by predicted shard, one Aggregator per shard, as the pipeline will. */
function aggregatePerShard(map: ShardMap, records: UserRecord[]): Map<string, KinesisEntry[]> {
  const aggregators = new Map<string, Aggregator>();
  const entries = new Map<string, KinesisEntry[]>();
  for (const record of records) {
    validateKinesisRecord(record);
    const hashKey = hashKeyOfRecord(record.partitionKey, record.explicitHashKey);
    const shardId = map.shardIdFor(hashKey)!;
    let aggregator = aggregators.get(shardId);
    if (!aggregator) aggregators.set(shardId, (aggregator = new Aggregator({ maxAggregateBytes: 4096 })));
    if (!aggregator.tryAdd(record, hashKey)) {
      entries.set(shardId, [...(entries.get(shardId) ?? []), aggregator.flush()!]);
      aggregator.tryAdd(record, hashKey);
    }
  }
  for (const [shardId, aggregator] of aggregators) entries.set(shardId, [...(entries.get(shardId) ?? []), aggregator.flush()!]);
  return entries;
}

function randomRecords(seed: number, count: number): UserRecord[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `device-${rng.int(50)}-${i % 3 === 0 ? 'ü' : ''}`,
    data: Buffer.from(`reading ${i} ${'x'.repeat(rng.int(120))}`),
    ...(i % 11 === 0 ? { explicitHashKey: (BigInt(rng.int(2 ** 30)) << 98n).toString() } : {}),
  }));
}

describe('per-shard KPL aggregation against kinesalite', () => {
  it('lands every aggregate on the shard the map predicted, holding only records of that shard', async () => {
    const stream = 'routing';
    const map = await createStream(stream, 4);
    expect(map.shards).toHaveLength(4);
    const records = randomRecords(1, 600);
    const perShard = aggregatePerShard(map, records);
    const entries = [...perShard.entries()].flatMap(([shardId, list]) => list.map((entry) => ({ shardId, entry })));
    expect(entries.some(({ entry }) => entry.isAggregated)).toBe(true);

    const response = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: entries.map(({ entry }) => ({ Data: entry.data, PartitionKey: entry.partitionKey, ExplicitHashKey: entry.explicitHashKey })),
      }),
    );
    expect(response.FailedRecordCount).toBe(0);
    response.Records!.forEach((result, i) => {
      const { shardId, entry } = entries[i]!;
      expect(result.ShardId).toBe(shardId);
      const firstHashKey = hashKeyOfRecord(entry.userRecords[0]!.partitionKey, entry.userRecords[0]!.explicitHashKey);
      expect(map.isPredictedShard(result.ShardId!, firstHashKey)).toBe(true);
    });

    // Read each shard back: both decoders return exactly the user records routed to it, in order.
    for (const shard of map.shards) {
      const iterator = await client.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
      const users = got.Records!.flatMap((r) => deaggregate({ data: r.Data!, partitionKey: r.PartitionKey! }));
      const expected = (perShard.get(shard.shardId) ?? []).flatMap((e) => e.userRecords);
      expect(users.map((u) => [u.partitionKey, u.explicitHashKey, u.data.toString()])).toEqual(
        expected.map((u) => [u.partitionKey, u.explicitHashKey, Buffer.from(u.data).toString()]),
      );
      for (const user of users) {
        const value = hashKeyToBigInt(hashKeyOfRecord(user.partitionKey, user.explicitHashKey));
        expect(value >= shard.startingHashKey && value <= shard.endingHashKey).toBe(true);
      }
      const independent = got.Records!.flatMap((r) => deaggregateWithAwsKinesisAgg({ data: r.Data!, partitionKey: r.PartitionKey! }));
      expect(independent.map((u) => [u.partitionKey, u.data.toString()])).toEqual(users.map((u) => [u.partitionKey, u.data.toString()]));
    }
  });

  it('notices a stale map: after a split, a record lands on a shard the old map did not predict', async () => {
    const stream = 'resharded';
    const stale = await createStream(stream, 1);
    const [only] = stale.shards;
    const middle = (only!.startingHashKey + only!.endingHashKey + 1n) / 2n;
    await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: only!.shardId, NewStartingHashKey: middle.toString() }));
    await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 1 }, { StreamName: stream });

    const record = { partitionKey: 'k', data: Buffer.from('after split'), explicitHashKey: (middle + 1n).toString() };
    const result = await client.send(
      new PutRecordsCommand({ StreamName: stream, Records: [{ Data: record.data, PartitionKey: record.partitionKey, ExplicitHashKey: record.explicitHashKey }] }),
    );
    const landedOn = result.Records![0]!.ShardId!;
    const hashKey = hashKeyOfRecord(record.partitionKey, record.explicitHashKey);
    expect(stale.isPredictedShard(landedOn, hashKey)).toBe(false);

    const fresh = await listShardMap(stream);
    expect(fresh.shards).toHaveLength(2);
    expect(fresh.isPredictedShard(landedOn, hashKey)).toBe(true);
  });
});
