/**
 * Differential test of the data plane: PutRecord/PutRecords routing and sequence numbers, GetShardIterator of
 * every type, GetRecords, and the end of a closed shard — the same SDK calls against our target, kinesalite and
 * kinesis-local. Our target is held to AWS's behaviour (reference/ingest.md §6); peer deviations are asserted
 * and explained where they occur.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type _Record,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { HASH_SPACE, shapeMinus, shapeOf, strictlyIncreasingDecimals, waitForActive } from '../peers/differential.js';
import { startDifferentialTargets, type DifferentialTarget, type DifferentialTargets } from '../peers/targets.js';

let targets: DifferentialTargets;

beforeAll(async () => {
  targets = await startDifferentialTargets();
}, 90_000);

afterAll(async () => {
  await targets?.close();
});

async function onEach<T>(body: (t: DifferentialTarget) => Promise<T>, only?: readonly string[]): Promise<Map<string, T>> {
  const chosen = targets.all.filter((t) => only === undefined || only.includes(t.name));
  const entries = await Promise.all(chosen.map(async (t) => [t.name, await body(t)] as const));
  return new Map(entries);
}

async function createActive(t: DifferentialTarget, name: string, shardCount: number): Promise<Shard[]> {
  await t.client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitForActive(t.client, name);
  return (await t.client.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
}

/** The open shard whose range holds `hashKey`, by the target's own ranges. */
function owningShard(shards: readonly Shard[], hashKey: bigint): string | undefined {
  return shards.find(
    (s) =>
      s.SequenceNumberRange?.EndingSequenceNumber === undefined &&
      BigInt(s.HashKeyRange?.StartingHashKey ?? '-1') <= hashKey &&
      hashKey <= BigInt(s.HashKeyRange?.EndingHashKey ?? '-1'),
  )?.ShardId;
}

function md5HashKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

async function iterator(client: KinesisClient, stream: string, shardId: string, type: ShardIteratorType, extra: { StartingSequenceNumber?: string; Timestamp?: Date } = {}): Promise<string> {
  const out = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type, ...extra }));
  return out.ShardIterator as string;
}

/** Reads a shard from `start` until a call returns no records (or the shard ends); at most `maxCalls` calls. */
async function drain(client: KinesisClient, start: string, maxCalls = 50): Promise<{ records: _Record[]; last: GetRecordsCommandOutput }> {
  const records: _Record[] = [];
  let it: string | undefined = start;
  for (let call = 0; call < maxCalls; call++) {
    const out: GetRecordsCommandOutput = await client.send(new GetRecordsCommand({ ShardIterator: it }));
    records.push(...(out.Records ?? []));
    it = out.NextShardIterator;
    if ((out.Records ?? []).length === 0 || it === undefined) return { records, last: out };
  }
  throw new Error(`shard not drained within ${maxCalls} GetRecords calls`);
}

const text = (r: _Record): string => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8');

describe('writes, compared with kinesalite and kinesis-local', () => {
  it('routes each partition key by MD5 to the shard whose hash key range holds it', async () => {
    const stream = 'diff-route-md5';
    const keys = Array.from({ length: 16 }, (_, i) => `device-${i}`);
    const seen = await onEach(async (t) => {
      const shards = await createActive(t, stream, 4);
      const puts = await Promise.all(keys.map((k) => t.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: k, Data: Buffer.from(k) }))));
      return { shards, placed: puts.map((p) => p.ShardId) };
    });
    for (const [peer, { shards, placed }] of seen) {
      expect(placed, peer).toEqual(keys.map((k) => owningShard(shards, md5HashKey(k))));
    }
    // Same ranges (for these keys), same placement: our target agrees with kinesalite key for key.
    expect(seen.get('kedge')?.placed).toEqual(seen.get('kinesalite')?.placed);
  });

  it('routes an ExplicitHashKey to its shard, ignoring the partition key, at both edges of a range', async () => {
    const stream = 'diff-route-ehk';
    const seen = await onEach(async (t) => {
      const shards = await createActive(t, stream, 2);
      const boundary = BigInt(shards[1]?.HashKeyRange?.StartingHashKey ?? '0');
      const probes = [0n, boundary - 1n, boundary, HASH_SPACE - 1n];
      const placed: Array<string | undefined> = [];
      for (const h of probes) {
        const out = await t.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'same key', ExplicitHashKey: String(h), Data: Buffer.from('x') }));
        placed.push(out.ShardId);
      }
      return placed;
    });
    for (const [peer, placed] of seen) {
      expect(placed, peer).toEqual(['shardId-000000000000', 'shardId-000000000000', 'shardId-000000000001', 'shardId-000000000001']);
    }
  });

  it('gives PutRecord sequence numbers that are decimal strings growing within a shard', async () => {
    const stream = 'diff-seq-put-record';
    const seen = await onEach(async (t) => {
      await createActive(t, stream, 2);
      const byShard = new Map<string, string[]>();
      for (let i = 0; i < 12; i++) {
        const out = await t.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: `k${i}`, ExplicitHashKey: i % 2 === 0 ? '0' : String(HASH_SPACE - 1n), Data: Buffer.from(`r${i}`) }));
        byShard.set(out.ShardId as string, [...(byShard.get(out.ShardId as string) ?? []), out.SequenceNumber as string]);
      }
      return byShard;
    });
    for (const [peer, byShard] of seen) {
      expect([...byShard.keys()].sort(), peer).toEqual(['shardId-000000000000', 'shardId-000000000001']);
      for (const [shard, numbers] of byShard) {
        expect(numbers, `${peer} ${shard}`).toHaveLength(6);
        expect(strictlyIncreasingDecimals(numbers), `${peer} ${shard}: ${numbers.join(' ')}`).toBe(true);
      }
      // Sequence numbers are unique across the stream.
      const all = [...byShard.values()].flat();
      expect(new Set(all).size, peer).toBe(all.length);
    }
  });

  it('answers PutRecords entry by entry in request order, with sequence numbers growing per shard', async () => {
    const stream = 'diff-put-records';
    const entries = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `pk-${i}`, Data: Buffer.from(`payload-${i}`) }));
    const seen = await onEach(async (t) => {
      const shards = await createActive(t, stream, 3);
      const out = await t.client.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
      return { shards, out };
    });
    for (const [peer, { shards, out }] of seen) {
      expect(out.FailedRecordCount, peer).toBe(0);
      expect(out.Records, peer).toHaveLength(entries.length);
      const perShard = new Map<string, string[]>();
      out.Records?.forEach((r, i) => {
        expect(r.ShardId, `${peer} entry ${i}`).toBe(owningShard(shards, md5HashKey(entries[i]?.PartitionKey as string)));
        expect(r.ErrorCode, peer).toBeUndefined();
        perShard.set(r.ShardId as string, [...(perShard.get(r.ShardId as string) ?? []), r.SequenceNumber as string]);
      });
      for (const [shard, numbers] of perShard) expect(strictlyIncreasingDecimals(numbers), `${peer} ${shard}`).toBe(true);
    }
    // EncryptionType is left out of the comparison: kinesis-local always sends "NONE", kinesalite never does.
    const withoutEncryption = (o: unknown): Set<string> => new Set([...shapeOf(o)].filter((p) => !p.startsWith('EncryptionType')));
    const oursShape = withoutEncryption(seen.get('kedge')?.out);
    for (const [peer, { out }] of seen) {
      expect(shapeMinus(oursShape, withoutEncryption(out)), peer).toEqual([]);
      expect(shapeMinus(withoutEncryption(out), oursShape), peer).toEqual([]);
    }
  });
});

describe('reads, compared with kinesalite and kinesis-local', () => {
  const stream = 'diff-reads';
  const shardId = 'shardId-000000000000';
  const payloads = Array.from({ length: 10 }, (_, i) => `read-${i}`);
  /** Per target: what PutRecords answered for `payloads`, all written to shard 0. */
  const written = new Map<string, string[]>();

  beforeAll(async () => {
    await onEach(async (t) => {
      await createActive(t, stream, 2);
      const out = await t.client.send(
        new PutRecordsCommand({ StreamName: stream, Records: payloads.map((p) => ({ PartitionKey: p, ExplicitHashKey: '0', Data: Buffer.from(p) })) }),
      );
      written.set(t.name, (out.Records ?? []).map((r) => r.SequenceNumber as string));
    });
  }, 30_000);

  it('reads every record back from TRIM_HORIZON with its data, partition key and sequence number', async () => {
    const seen = await onEach(async (t) => (await drain(t.client, await iterator(t.client, stream, shardId, 'TRIM_HORIZON'))).records);
    for (const [peer, records] of seen) {
      expect(records.map(text), peer).toEqual(payloads);
      expect(records.map((r) => r.PartitionKey), peer).toEqual(payloads);
      expect(records.map((r) => r.SequenceNumber), peer).toEqual(written.get(peer));
      for (const r of records) expect(r.ApproximateArrivalTimestamp, peer).toBeInstanceOf(Date);
    }
    const withoutEncryption = (o: unknown): Set<string> => new Set([...shapeOf(o)].filter((p) => !p.includes('EncryptionType')));
    const oursShape = withoutEncryption(seen.get('kedge'));
    for (const [peer, records] of seen) expect(shapeMinus(oursShape, withoutEncryption(records)), peer).toEqual([]);
  });

  it('starts AT_SEQUENCE_NUMBER at that record and AFTER_SEQUENCE_NUMBER at the next one', async () => {
    const seen = await onEach(async (t) => {
      const fourth = written.get(t.name)?.[3] as string;
      const at = await t.client.send(new GetRecordsCommand({ ShardIterator: await iterator(t.client, stream, shardId, 'AT_SEQUENCE_NUMBER', { StartingSequenceNumber: fourth }), Limit: 2 }));
      const after = await t.client.send(new GetRecordsCommand({ ShardIterator: await iterator(t.client, stream, shardId, 'AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: fourth }), Limit: 2 }));
      return { at: (at.Records ?? []).map(text), after: (after.Records ?? []).map(text) };
    });
    for (const [peer, { at, after }] of seen) {
      expect(at, peer).toEqual(['read-3', 'read-4']);
      expect(after, peer).toEqual(['read-4', 'read-5']);
    }
  });

  it('starts AT_TIMESTAMP at the first record that arrived at or after the timestamp', async () => {
    const seen = await onEach(async (t) => {
      const first = await t.client.send(new GetRecordsCommand({ ShardIterator: await iterator(t.client, stream, shardId, 'TRIM_HORIZON'), Limit: 1 }));
      const arrival = first.Records?.[0]?.ApproximateArrivalTimestamp as Date;
      const fromFirst = await drain(t.client, await iterator(t.client, stream, shardId, 'AT_TIMESTAMP', { Timestamp: arrival }));
      // Before the stream existed is before every record: the iterator starts at the trim horizon.
      const fromEpoch = await drain(t.client, await iterator(t.client, stream, shardId, 'AT_TIMESTAMP', { Timestamp: new Date(1_000_000_000_000) }));
      return { fromFirst: fromFirst.records.map(text), fromEpoch: fromEpoch.records.map(text) };
    });
    for (const [peer, { fromFirst, fromEpoch }] of seen) {
      expect(fromFirst, peer).toEqual(payloads);
      expect(fromEpoch, peer).toEqual(payloads);
    }
  });

  it('starts LATEST after the newest record, so only later writes are read', async () => {
    const seen = await onEach(async (t) => {
      const latest = await iterator(t.client, stream, shardId, 'LATEST');
      const before = await t.client.send(new GetRecordsCommand({ ShardIterator: latest }));
      await t.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'late', ExplicitHashKey: '0', Data: Buffer.from('after LATEST') }));
      const after = await drain(t.client, before.NextShardIterator as string);
      return { before: (before.Records ?? []).map(text), after: after.records.map(text) };
    });
    for (const [peer, { before, after }] of seen) {
      expect(before, peer).toEqual([]);
      expect(after, peer).toEqual(['after LATEST']);
    }
  });

  it('honours the GetRecords Limit and continues where the previous call stopped', async () => {
    const seen = await onEach(async (t) => {
      const first = await t.client.send(new GetRecordsCommand({ ShardIterator: await iterator(t.client, stream, shardId, 'TRIM_HORIZON'), Limit: 3 }));
      const second = await t.client.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator, Limit: 3 }));
      return [(first.Records ?? []).map(text), (second.Records ?? []).map(text)];
    });
    for (const [peer, pages] of seen) expect(pages, peer).toEqual([payloads.slice(0, 3), payloads.slice(3, 6)]);
  });

  it('caps one GetRecords response at 10 MiB, leaving the rest for the next call', async () => {
    const big = 'diff-reads-ten-mib';
    const RECORD = 1024 * 1024 - 16; // with its 16-character partition key, exactly the 1 MiB record limit
    const COUNT = 11;
    const seen = await onEach(async (t) => {
      await createActive(t, big, 1);
      for (let i = 0; i < COUNT; i++) {
        await t.client.send(new PutRecordCommand({ StreamName: big, PartitionKey: `key-${String(i).padStart(12, '0')}`, Data: Buffer.alloc(RECORD, i) }));
      }
      const first = await t.client.send(new GetRecordsCommand({ ShardIterator: await iterator(t.client, big, shardId, 'TRIM_HORIZON') }));
      const rest = await drain(t.client, first.NextShardIterator as string);
      return { first: (first.Records ?? []).length, total: (first.Records ?? []).length + rest.records.length };
      // Not kinesis-local: it caps at 10 MiB too (reference/ingest.md §2) but needs ~25 s for these 11 MiB here.
    }, ['kedge', 'kinesalite']);
    for (const [peer, { first, total }] of seen) {
      expect(total, peer).toBe(COUNT);
      // kinesalite has no byte cap on GetRecords (reference/ingest.md §1) and returns all 11 MiB at once.
      if (peer === 'kinesalite') expect(first, peer).toBe(COUNT);
      else expect(first, peer).toBeLessThanOrEqual(10);
    }
  }, 60_000);

  it('at the tip of an open shard returns no records, a next iterator and MillisBehindLatest 0', async () => {
    const seen = await onEach(async (t) => (await drain(t.client, await iterator(t.client, stream, 'shardId-000000000001', 'TRIM_HORIZON'))).last);
    for (const [peer, last] of seen) {
      expect(last.Records, peer).toEqual([]);
      expect(last.NextShardIterator, peer).toEqual(expect.any(String));
      expect(last.MillisBehindLatest, peer).toBe(0);
    }
  });

  it('at the end of a closed shard returns no next iterator and names the child shards', async () => {
    const closing = 'diff-reads-closed';
    const seen = await onEach(async (t) => {
      await createActive(t, closing, 1);
      await t.client.send(new PutRecordCommand({ StreamName: closing, PartitionKey: 'k', Data: Buffer.from('in parent') }));
      const start = await iterator(t.client, closing, shardId, 'TRIM_HORIZON');
      await t.client.send(new SplitShardCommand({ StreamName: closing, ShardToSplit: shardId, NewStartingHashKey: String(HASH_SPACE / 2n) }));
      await waitForActive(t.client, closing);
      return drain(t.client, start);
    });
    for (const [peer, { records, last }] of seen) {
      expect(records.map(text), peer).toEqual(['in parent']);
      expect(last.NextShardIterator, peer).toBeUndefined();
      const children = (last.ChildShards ?? []).map((c) => ({ ShardId: c.ShardId, ParentShards: c.ParentShards }));
      if (peer === 'kinesalite') {
        // kinesalite predates ChildShards (added to GetRecords with enhanced fan-out in 2020).
        expect(last.ChildShards, peer).toBeUndefined();
      } else {
        expect(children, peer).toEqual([
          { ShardId: 'shardId-000000000001', ParentShards: [shardId] },
          { ShardId: 'shardId-000000000002', ParentShards: [shardId] },
        ]);
      }
    }
  });
});
