/**
 * The producer against a scripted Kinesis (helpers.ts) on virtual time: delivery, partial failures,
 * per-shard aggregation, the wrong-shard case, and flush().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer, type ProducerOptions } from '../../../src/index.js';
import { hashKeyOfRecord, hashKeyToBigInt } from '../../../src/pipeline/aggregation/hash-key.js';
import { deaggregateWithAwsKinesisAgg } from '../../helpers/aws-kinesis-agg.js';
import { seededRng } from '../../helpers/seeded-rng.js';
import { evenShards, failedOutcome, FakeKinesis, shardOf, VirtualTime } from './helpers.js';

let time: VirtualTime;
const producers: Producer[] = [];

afterEach(async () => {
  for (const producer of producers.splice(0)) await producer.close({ timeoutMs: 0 });
  await time?.stop();
});

async function start(transport: FakeKinesis, options: Partial<ProducerOptions> = {}): Promise<Producer> {
  time = new VirtualTime();
  time.start();
  const producer = await createProducer({
    sink: { type: 'kinesis', streamName: 'telemetry' },
    transport,
    clock: time.clock,
    sleep: time.sleep,
    rng: seededRng(7),
    ...options,
  });
  producers.push(producer);
  return producer;
}

const records = (n: number, keys = 10): Array<{ data: string; partitionKey: string }> =>
  Array.from({ length: n }, (_, i) => ({ data: `record-${i}`, partitionKey: `device-${i % keys}` }));

describe('producer delivery', () => {
  it('put resolves once the record is accepted and flush once every accepted record is delivered', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    const input = records(1000);
    await Promise.all(input.map((r) => producer.put(r.data, { partitionKey: r.partitionKey })));
    expect(producer.stats().accepted).toBe(1000);
    await producer.flush();
    expect(kinesis.storedData().sort()).toEqual(input.map((r) => r.data).sort());
    const stats = producer.stats();
    expect(stats.delivered).toBe(1000);
    expect(stats.spool.entries).toBe(0);
    expect(stats.spool.ackedThrough).toBe(1000);
    expect(stats.held).toBe(0);
  });

  it('re-sends only the entries PutRecords reported as failed', async () => {
    const kinesis = new FakeKinesis();
    // Unaggregated, so each entry is one record and the re-sent ones can be named.
    const producer = await start(kinesis, { sink: { type: 'kinesis', streamName: 'telemetry', aggregate: false, rateLimit: false } });
    kinesis.respond = (entries, call) =>
      call === 1 ? entries.map((e, i) => (i % 3 === 1 ? failedOutcome(i % 2 === 0 ? 'InternalFailure' : 'ProvisionedThroughputExceededException') : { ok: true })) : undefined;
    const input = records(30);
    await Promise.all(input.map((r) => producer.put(r.data, { partitionKey: r.partitionKey })));
    await producer.flush();

    const first = kinesis.requests[0]!.map((e) => e.data.toString());
    const failed = first.filter((_, i) => i % 3 === 1);
    const resent = kinesis.requests.slice(1).flatMap((request) => request.map((e) => e.data.toString()));
    expect(first).toHaveLength(30);
    expect(resent.sort()).toEqual([...failed].sort());
    // Each record is stored exactly once: nothing that succeeded was sent again.
    expect(kinesis.storedData().sort()).toEqual(input.map((r) => r.data).sort());
    expect(producer.stats().retried).toBe(failed.length);
    expect(producer.stats().throttled).toBe(failed.filter((_, i) => ((3 * i + 1) % 2) !== 0).length);
  });

  it('aggregates only records bound for the same shard, so KCL and aws-kinesis-agg de-aggregate every record', async () => {
    const shards = evenShards(4);
    const kinesis = new FakeKinesis(shards);
    const producer = await start(kinesis);
    const rng = seededRng(3);
    const input = Array.from({ length: 2000 }, (_, i) => ({
      data: `reading-${i}-${'x'.repeat(rng.int(300))}`,
      partitionKey: `sensor-${rng.int(200)}`,
      ...(i % 13 === 0 ? { explicitHashKey: (BigInt(rng.int(2 ** 30)) << 98n).toString() } : {}),
    }));
    await Promise.all(input.map((r) => producer.put(r.data, { partitionKey: r.partitionKey, ...(r.explicitHashKey ? { explicitHashKey: r.explicitHashKey } : {}) })));
    await producer.flush();

    const entries = kinesis.requests.flat();
    const aggregated = entries.filter((e) => e.partitionKey === 'a');
    expect(aggregated.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(input.length / 10);
    let users = 0;
    for (const entry of entries) {
      // The aggregate goes where its EHK (the first record's hash key) points; every record in it must belong there.
      const landed = shardOf(shards, hashKeyToBigInt(hashKeyOfRecord(entry.partitionKey, entry.explicitHashKey)));
      const start = BigInt(landed.HashKeyRange!.StartingHashKey!);
      const end = BigInt(landed.HashKeyRange!.EndingHashKey!);
      for (const user of deaggregateWithAwsKinesisAgg(entry)) {
        const key = hashKeyToBigInt(hashKeyOfRecord(user.partitionKey, input.find((r) => r.data === user.data.toString())!.explicitHashKey));
        expect(key >= start && key <= end).toBe(true);
        users += 1;
      }
    }
    expect(users).toBe(input.length);
    expect(producer.stats().delivered).toBe(input.length);
    expect(producer.stats().deliveredEntries).toBe(entries.length);
  });

  it('keeps every PutRecords request within 500 entries and the request byte limit counting partition keys', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, { sink: { type: 'kinesis', streamName: 'telemetry', aggregate: false, maxRequestBytes: 64 * 1024, maxRecordBytes: 64 * 1024 } });
    const key = 'k'.repeat(200);
    await Promise.all(Array.from({ length: 1500 }, (_, i) => producer.put(Buffer.alloc(100, i % 256), { partitionKey: `${key}${i % 7}` })));
    await producer.flush();
    for (const request of kinesis.requests) {
      expect(request.length).toBeLessThanOrEqual(500);
      const bytes = request.reduce((sum, e) => sum + e.data.length + Buffer.byteLength(e.partitionKey), 0);
      expect(bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(kinesis.stored).toHaveLength(1500);
  });

  it('an aggregate that landed on an unexpected shard is sent again and the shard map is listed again', async () => {
    const kinesis = new FakeKinesis(evenShards(2));
    const producer = await start(kinesis);
    await Promise.all(records(200, 50).map((r) => producer.put(r.data, { partitionKey: r.partitionKey })));
    // The stream was resharded behind our back: the first request's aggregates land on a shard we never predicted.
    kinesis.respond = (entries, call) => (call === 1 ? entries.map(() => ({ ok: true, shardId: 'shardId-000000000099' })) : undefined);
    await producer.flush();
    const stats = producer.stats();
    expect(kinesis.listShardsCalls).toBeGreaterThanOrEqual(2);
    expect(stats.possibleDuplicates).toBeGreaterThan(0);
    // Every record reached the shard it belongs to (the copies on shard 99 are the duplicates KCL would drop).
    const proper = kinesis.stored.filter((r) => r.shardId !== 'shardId-000000000099').map((r) => r.data);
    expect(proper.sort()).toEqual(records(200, 50).map((r) => r.data).sort());
  });

  it('flush resolves for records that were dead-lettered, and stats say so', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, { recordTtlMs: 60_000 });
    kinesis.respond = (entries) => entries.map(() => failedOutcome('InternalFailure'));
    await producer.put('doomed', { partitionKey: 'k' });
    await producer.flush();
    const stats = producer.stats();
    expect(stats.deadLettered).toBe(1);
    expect(stats.delivered).toBe(0);
    expect(stats.spool.entries).toBe(0);
  });

  it('sends the partition key and explicit hash key of a lone record as given', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    await producer.put(Buffer.from([1, 2, 3]), { partitionKey: 'ünïcode-key', explicitHashKey: '170141183460469231731687303715884105728' });
    await producer.flush();
    expect(kinesis.requests[0]).toEqual([{ data: Buffer.from([1, 2, 3]), partitionKey: 'ünïcode-key', explicitHashKey: '170141183460469231731687303715884105728' }]);
  });
});
