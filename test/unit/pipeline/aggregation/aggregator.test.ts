import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KedgeError } from '../../../../src/core/errors.js';
import { KDS_HASH_KEY_MAX } from '../../../../src/core/limits.js';
import { Aggregator, aggregateRecords, type UserRecord } from '../../../../src/pipeline/aggregation/aggregator.js';
import { deaggregate } from '../../../../src/pipeline/aggregation/deaggregate.js';
import { KPL_AGGREGATION_MAX_BYTES_DEFAULT, KPL_MAGIC } from '../../../../src/pipeline/aggregation/format.js';
import { hashKeyFromDecimal, hashKeyOfRecord } from '../../../../src/pipeline/aggregation/hash-key.js';
import { decodeTablesWithProtobufjs, deaggregateWithAwsKinesisAgg } from '../../../helpers/aws-kinesis-agg.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

const md5Decimal = (text: string): string => BigInt(`0x${createHash('md5').update(text, 'utf8').digest('hex')}`).toString();

function record(partitionKey: string, data: string | Buffer, explicitHashKey?: string): UserRecord {
  return { partitionKey, data: typeof data === 'string' ? Buffer.from(data) : data, explicitHashKey };
}

/** Both decoders must return the user records that went in (EHKs from aws-kinesis-agg only where set). */
function expectBothDecodersReturn(entry: { data: Uint8Array; partitionKey: string; explicitHashKey?: string | undefined }, input: UserRecord[]): void {
  const ours = deaggregate(entry);
  expect(ours.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: Buffer.from(r.data) }))).toEqual(
    input.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: Buffer.from(r.data) })),
  );
  const theirs = deaggregateWithAwsKinesisAgg(entry);
  expect(theirs).toHaveLength(input.length);
  theirs.forEach((decoded, i) => {
    const original = input[i]!;
    expect(decoded.partitionKey).toBe(original.partitionKey);
    expect(decoded.data.equals(Buffer.from(original.data))).toBe(true);
    if (original.explicitHashKey !== undefined) expect(decoded.explicitHashKey).toBe(original.explicitHashKey);
  });
}

function randomText(rng: ReturnType<typeof seededRng>, maxLength: number): string {
  const alphabet = ['a', 'Z', '0', '-', 'é', 'ß', '中', '文', '😀', '🚁', ' ', '/'];
  let text = '';
  const length = 1 + rng.int(maxLength);
  while (text.length < length) text += alphabet[rng.int(alphabet.length)]!;
  return text;
}

describe('Aggregator: what goes on the wire', () => {
  it('sends a single user record raw, with its own partition key, hash key and bytes', () => {
    const aggregator = new Aggregator();
    const only = record('device-7', 'hello', '12345');
    expect(aggregator.tryAdd(only)).toBe(true);
    const entry = aggregator.flush()!;
    expect(entry.isAggregated).toBe(false);
    expect(entry.data).toBe(only.data);
    expect(entry.partitionKey).toBe('device-7');
    expect(entry.explicitHashKey).toBe('12345');
    expect(entry.sizeBytes).toBe(5 + 8);
    expect(entry.userRecords).toEqual([only]);
  });

  it('sends two or more records as magic + protobuf + MD5 with partition key "a" and the first record\'s MD5 hash key', () => {
    const input = [record('first-key', 'one'), record('second-key', 'two'), record('first-key', 'three')];
    const [entry] = aggregateRecords(input);
    expect(entry!.isAggregated).toBe(true);
    expect(entry!.partitionKey).toBe('a');
    expect(entry!.explicitHashKey).toBe(md5Decimal('first-key'));
    expect(Buffer.from(entry!.data.subarray(0, 4))).toEqual(Buffer.from(KPL_MAGIC));
    const protobuf = entry!.data.subarray(4, entry!.data.length - 16);
    expect(Buffer.from(entry!.data.subarray(entry!.data.length - 16))).toEqual(createHash('md5').update(protobuf).digest());
    expect(entry!.sizeBytes).toBe(entry!.data.length + 1);
    expectBothDecodersReturn(entry!, input);
  });

  it('uses the first record\'s ExplicitHashKey as the aggregate\'s hash key when it has one', () => {
    const input = [record('k1', 'x', '99'), record('k2', 'y', '7')];
    expect(aggregateRecords(input)[0]!.explicitHashKey).toBe('99');
  });

  it('uses the hash key the caller already computed for the first record', () => {
    const aggregator = new Aggregator();
    aggregator.tryAdd(record('k1', 'x'), hashKeyFromDecimal('42'));
    aggregator.tryAdd(record('k2', 'y'));
    expect(aggregator.flush()!.explicitHashKey).toBe('42');
  });

  it('stores each distinct partition key and hash key once in the tables', () => {
    const input = Array.from({ length: 50 }, (_, i) => record(i % 2 ? 'odd' : 'even', `payload ${i}`, i % 5 === 0 ? '1000' : undefined));
    const [entry] = aggregateRecords(input);
    const tables = decodeTablesWithProtobufjs(entry!.data);
    expect(tables.partition_key_table).toEqual(['even', 'odd']);
    expect(tables.explicit_hash_key_table).toEqual(['1000']);
    expect(tables.records).toHaveLength(50);
    expectBothDecodersReturn(entry!, input);
  });

  it('round-trips unicode partition keys, ExplicitHashKeys and empty data through both decoders', () => {
    const input = [
      record('温度センサー', Buffer.alloc(0)),
      record('🚁 drone/42', 'telemetry', KDS_HASH_KEY_MAX.toString()),
      record('ключ', Buffer.alloc(0), '0'),
      record('温度センサー', 'again'),
    ];
    const [entry] = aggregateRecords(input);
    expect(entry!.explicitHashKey).toBe(md5Decimal('温度センサー'));
    expectBothDecodersReturn(entry!, input);
  });

  it('round-trips 120 random batches exactly, and every size it reports equals the bytes it emits', () => {
    const rng = seededRng(20240601);
    for (let batch = 0; batch < 120; batch++) {
      const count = 1 + rng.int(40);
      const keys = Array.from({ length: 1 + rng.int(6) }, () => randomText(rng, 20));
      const input = Array.from({ length: count }, () => {
        const data = Buffer.alloc(rng.int(3) === 0 ? 0 : rng.int(400));
        for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
        const ehk = rng.int(4) === 0 ? String(rng.int(1_000_000)) : undefined;
        return record(keys[rng.int(keys.length)]!, data, ehk);
      });
      const aggregator = new Aggregator({ maxAggregateBytes: 4096 });
      const entries = [];
      for (const r of input) {
        if (!aggregator.tryAdd(r)) {
          const expectedSize = aggregator.sizeBytes;
          const entry = aggregator.flush()!;
          expect(entry.data.length).toBe(expectedSize);
          entries.push(entry);
          expect(aggregator.tryAdd(r)).toBe(true);
        }
      }
      const expectedSize = aggregator.sizeBytes;
      const last = aggregator.flush()!;
      expect(last.data.length).toBe(expectedSize);
      entries.push(last);
      for (const entry of entries) {
        if (entry.isAggregated) expect(entry.data.length).toBeLessThanOrEqual(4096);
        expectBothDecodersReturn(entry, entry.userRecords);
      }
      expect(entries.flatMap((e) => e.userRecords)).toEqual(input);
    }
  });
});

describe('Aggregator: size limits', () => {
  it('defaults to KPL\'s AggregationMaxSize of 51,200 bytes and never emits an aggregate above it', () => {
    expect(KPL_AGGREGATION_MAX_BYTES_DEFAULT).toBe(51_200);
    const input = Array.from({ length: 2000 }, (_, i) => record(`key-${i % 37}`, Buffer.alloc(200, i)));
    const entries = aggregateRecords(input);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) expect(entry.data.length).toBeLessThanOrEqual(51_200);
    expect(entries.reduce((n, e) => n + e.userRecords.length, 0)).toBe(2000);
  });

  it('fills an aggregate exactly to the limit: the record that completes it fits, one byte less and it does not', () => {
    const input = [record('a1', Buffer.alloc(100)), record('b2', Buffer.alloc(130)), record('c3', Buffer.alloc(70))];
    const exact = aggregateRecords(input, { maxAggregateBytes: 1_000_000 })[0]!.data.length;

    const atLimit = new Aggregator({ maxAggregateBytes: exact });
    expect(input.every((r) => atLimit.tryAdd(r))).toBe(true);
    expect(atLimit.sizeBytes).toBe(exact);

    const oneLess = new Aggregator({ maxAggregateBytes: exact - 1 });
    expect(oneLess.tryAdd(input[0]!)).toBe(true);
    expect(oneLess.tryAdd(input[1]!)).toBe(true);
    expect(oneLess.tryAdd(input[2]!)).toBe(false);
    expect(oneLess.count).toBe(2);
  });

  it('leaves the aggregator unchanged when it refuses a record', () => {
    const aggregator = new Aggregator({ maxAggregateBytes: 200 });
    aggregator.tryAdd(record('k', Buffer.alloc(100)));
    aggregator.tryAdd(record('k', Buffer.alloc(50)));
    const before = aggregator.sizeBytes;
    expect(aggregator.tryAdd(record('new-key', Buffer.alloc(100), '5'))).toBe(false);
    expect(aggregator.sizeBytes).toBe(before);
    expect(aggregator.count).toBe(2);
    const entry = aggregator.flush()!;
    expect(decodeTablesWithProtobufjs(entry.data).partition_key_table).toEqual(['k']);
    expect(decodeTablesWithProtobufjs(entry.data).explicit_hash_key_table).toEqual([]);
  });

  it('keeps an aggregate plus its partition key "a" within the stream\'s MaxRecordSize', () => {
    const input = [record('k', Buffer.alloc(600)), record('k', Buffer.alloc(600))];
    const exact = aggregateRecords(input, { maxAggregateBytes: 10_000 })[0]!.data.length;
    const fits = new Aggregator({ maxAggregateBytes: 10_000, maxRecordBytes: exact + 1 });
    expect(fits.tryAdd(input[0]!) && fits.tryAdd(input[1]!)).toBe(true);
    const tooSmall = new Aggregator({ maxAggregateBytes: 10_000, maxRecordBytes: exact });
    expect(tooSmall.tryAdd(input[0]!)).toBe(true);
    expect(tooSmall.tryAdd(input[1]!)).toBe(false);
  });

  it('caps the number of user records per aggregate', () => {
    const entries = aggregateRecords(
      Array.from({ length: 7 }, (_, i) => record('k', `r${i}`)),
      { maxRecordsPerAggregate: 3 },
    );
    expect(entries.map((e) => e.userRecords.length)).toEqual([3, 3, 1]);
    expect(entries[2]!.isAggregated).toBe(false);
  });

  it('sends a record larger than the aggregate limit alone and raw, then carries on aggregating', () => {
    const big = record('big', Buffer.alloc(60_000));
    const input = [record('s1', 'a'), big, record('s2', 'b'), record('s3', 'c')];
    const entries = aggregateRecords(input);
    expect(entries.map((e) => e.userRecords.length)).toEqual([1, 1, 2]);
    expect(entries[1]!.isAggregated).toBe(false);
    expect(entries[1]!.data).toBe(big.data);
  });

  it('computes sizes exactly across varint boundaries (lengths 127/128, 16383/16384; 200 distinct keys)', () => {
    const lengths = [0, 1, 127, 128, 129, 16_383, 16_384, 16_385];
    const input = lengths.map((length, i) => record(`k${i}`, Buffer.alloc(length, 7)));
    for (let i = 0; i < 200; i++) input.push(record(`distinct-${i}`.padEnd(i % 140, 'x'), Buffer.alloc(i % 130)));
    const aggregator = new Aggregator({ maxAggregateBytes: 1_000_000 });
    for (const r of input) {
      expect(aggregator.tryAdd(r)).toBe(true);
      // Emitting now would produce exactly the size the aggregator reports.
      const probe = new Aggregator({ maxAggregateBytes: 1_000_000 });
      const count = aggregator.count;
      for (const held of input.slice(0, count)) probe.tryAdd(held);
      expect(probe.flush()!.data.length).toBe(aggregator.sizeBytes);
    }
    const entry = aggregator.flush()!;
    expectBothDecodersReturn(entry, input);
  });

  it('refuses nonsensical options with AGGREGATION_OPTION_INVALID', () => {
    for (const options of [{ maxAggregateBytes: 10 }, { maxRecordsPerAggregate: 0 }, { maxRecordBytes: 1.5 }]) {
      expect(() => new Aggregator(options)).toThrow(KedgeError);
      try {
        new Aggregator(options);
      } catch (error) {
        expect((error as KedgeError).code).toBe('AGGREGATION_OPTION_INVALID');
      }
    }
  });

  it('hands back what it holds on drain, emitting nothing', () => {
    const aggregator = new Aggregator();
    const held = [record('a', '1'), record('b', '2')];
    held.forEach((r) => aggregator.tryAdd(r));
    expect(aggregator.drain()).toEqual(held);
    expect(aggregator.flush()).toBeUndefined();
    expect(aggregator.sizeBytes).toBe(0);
  });

  it('routes: the aggregate\'s hash key is its first record\'s, the one a shard lookup used', () => {
    const input = [record('sensor-1', 'a'), record('sensor-2', 'b', '77')];
    const [entry] = aggregateRecords(input);
    expect(hashKeyFromDecimal(entry!.explicitHashKey!)).toEqual(hashKeyOfRecord('sensor-1'));
  });
});
