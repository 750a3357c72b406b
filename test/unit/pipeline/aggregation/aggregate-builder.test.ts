/**
 * The byte-fed aggregate builder the producer uses (and Aggregator wraps; kpl-fixtures.test.ts checks
 * its bytes against real KPL output), built from ranges of a caller's buffer that the caller may
 * overwrite as soon as tryAdd returns.
 */
import { describe, expect, it } from 'vitest';
import { AggregateBuilder } from '../../../../src/pipeline/aggregation/aggregate-builder.js';
import { aggregateRecords, type UserRecord } from '../../../../src/pipeline/aggregation/aggregator.js';
import { deaggregate } from '../../../../src/pipeline/aggregation/deaggregate.js';
import { deaggregateWithAwsKinesisAgg } from '../../../helpers/aws-kinesis-agg.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

interface Sealed {
  data: Buffer;
  partitionKey: string;
  explicitHashKey: string | undefined;
  sizeBytes: number;
  isAggregated: boolean;
}

/** Feeds records through one scratch buffer that is overwritten after every add, as a spool read window is reused. */
function build(records: readonly UserRecord[], options: ConstructorParameters<typeof AggregateBuilder>[0] = {}): Sealed[] {
  const builder = new AggregateBuilder(options);
  const scratch = Buffer.alloc(64 * 1024);
  const out: Sealed[] = [];
  for (const record of records) {
    const at = 17; // not at the start of the buffer
    scratch.set(record.data, at);
    const args = [record.partitionKey, Buffer.byteLength(record.partitionKey), record.explicitHashKey, scratch, at, at + record.data.length] as const;
    if (!builder.tryAdd(...args)) {
      out.push(builder.seal()!);
      expect(builder.tryAdd(...args)).toBe(true);
    }
    scratch.fill(0xee);
  }
  const last = builder.seal();
  if (last !== undefined) out.push(last);
  return out;
}

function records(n: number, rng: ReturnType<typeof seededRng>): UserRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    partitionKey: i % 7 === 0 ? `clé-${rng.int(5)}` : `device-${rng.int(40)}`,
    explicitHashKey: i % 11 === 0 ? String(rng.int(1_000_000) * 7919) : undefined,
    data: Buffer.from(Array.from({ length: 1 + rng.int(300) }, () => rng.int(256))),
  }));
}

describe('AggregateBuilder', () => {
  it('makes the same bytes from a buffer overwritten after every add as from the records kept whole, across many aggregates of one builder', () => {
    const input = records(3000, seededRng(11));
    const options = { maxAggregateBytes: 20_000 };
    const ours = build(input, options);
    const reference = aggregateRecords(input, options);
    expect(ours.length).toBeGreaterThan(10);
    expect(ours.map((e) => ({ data: e.data.toString('hex'), partitionKey: e.partitionKey, explicitHashKey: e.explicitHashKey, sizeBytes: e.sizeBytes, isAggregated: e.isAggregated }))).toEqual(
      reference.map((e) => ({ data: Buffer.from(e.data).toString('hex'), partitionKey: e.partitionKey, explicitHashKey: e.explicitHashKey, sizeBytes: e.sizeBytes, isAggregated: e.isAggregated })),
    );
  });

  it('gives aws-kinesis-agg and our decoder every record back, with checksums, after the source bytes were overwritten', () => {
    const input = records(500, seededRng(5));
    let at = 0;
    for (const entry of build(input, { maxAggregateBytes: 8_000 })) {
      const decoded = deaggregate(entry);
      const theirs = deaggregateWithAwsKinesisAgg(entry);
      expect(theirs).toHaveLength(decoded.length);
      for (let i = 0; i < decoded.length; i++) {
        const original = input[at + i]!;
        expect(decoded[i]!.partitionKey).toBe(original.partitionKey);
        expect(decoded[i]!.explicitHashKey).toBe(original.explicitHashKey);
        expect(Buffer.from(decoded[i]!.data).equals(Buffer.from(original.data))).toBe(true);
        expect(theirs[i]!.data.equals(Buffer.from(original.data))).toBe(true);
      }
      at += decoded.length;
    }
    expect(at).toBe(500);
  });

  it('sends a record alone raw, and one larger than maxAggregateBytes alone, whatever its size', () => {
    const big = { partitionKey: 'k', explicitHashKey: undefined, data: Buffer.alloc(5000, 1) };
    const [first, second, third] = build([{ partitionKey: 'solo', explicitHashKey: '42', data: Buffer.from('x') }, big, { partitionKey: 'k', explicitHashKey: undefined, data: Buffer.from('y') }], {
      maxAggregateBytes: 1000,
    });
    expect(first).toMatchObject({ partitionKey: 'solo', explicitHashKey: '42', isAggregated: false, sizeBytes: 5 });
    expect(first!.data.toString()).toBe('x');
    expect(second).toMatchObject({ partitionKey: 'k', isAggregated: false, sizeBytes: 5001 });
    expect(second!.data.equals(big.data)).toBe(true);
    expect(third!.data.toString()).toBe('y');
  });

  it('starts each aggregate with an empty key table, so no record points at a key of the one before', () => {
    // Keys a, b fill the first aggregate; the second holds only b: its table must be [b], not [a, b].
    const input: UserRecord[] = [
      { partitionKey: 'a', data: Buffer.alloc(40, 1) },
      { partitionKey: 'b', data: Buffer.alloc(40, 2) },
      { partitionKey: 'b', data: Buffer.alloc(40, 3) },
      { partitionKey: 'b', data: Buffer.alloc(40, 4) },
    ];
    const entries = build(input, { maxAggregateBytes: 120 });
    expect(entries.length).toBeGreaterThan(1);
    // A stale index would point past the second table (our decoder refuses that) or at the wrong key.
    const decoded = entries.flatMap((e) => deaggregate(e));
    expect(decoded.map((r) => [r.partitionKey, r.data[0]])).toEqual([['a', 1], ['b', 2], ['b', 3], ['b', 4]]);
  });
});
