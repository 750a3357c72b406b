import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aggregateRecords } from '../../../../src/pipeline/aggregation/aggregator.js';
import { AggregateFormatError, deaggregate } from '../../../../src/pipeline/aggregation/deaggregate.js';
import { awsKinesisAgg } from '../../../helpers/aws-kinesis-agg.js';

// A tiny protobuf writer, so tests can build aggregates our encoder would never produce.
function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes;
}
const field = (tag: number, payload: Uint8Array | number[]): number[] => [tag, ...varint(payload.length), ...payload];
const text = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const userRecord = (pkIndex: number | undefined, ehkIndex: number | undefined, data: string | undefined, extra: number[] = []): number[] =>
  field(0x1a, [
    ...(pkIndex === undefined ? [] : [0x08, ...varint(pkIndex)]),
    ...(ehkIndex === undefined ? [] : [0x10, ...varint(ehkIndex)]),
    ...(data === undefined ? [] : field(0x1a, text(data))),
    ...extra,
  ]);

/** magic + protobuf + a correct MD5 of the protobuf. */
function sealed(protobuf: number[]): Buffer {
  const body = Buffer.from(protobuf);
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, createHash('md5').update(body).digest()]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AggregateFormatError);
    return (error as AggregateFormatError).code;
  }
  throw new Error('expected an AggregateFormatError');
}

const twoRecords = aggregateRecords([
  { partitionKey: 'p1', data: Buffer.from('first') },
  { partitionKey: 'p2', data: Buffer.from('second'), explicitHashKey: '12' },
])[0]!;

describe('deaggregate', () => {
  it('returns user data as views into the received buffer, without copying', () => {
    const records = deaggregate(twoRecords);
    expect(records.map((r) => r.data.toString())).toEqual(['first', 'second']);
    for (const r of records) expect(r.data.buffer).toBe((twoRecords.data as Buffer).buffer);
  });

  it('passes a record without the magic through as one record with its own keys', () => {
    const data = Buffer.from('plain');
    expect(deaggregate({ data, partitionKey: 'pk', explicitHashKey: '5' })).toEqual([
      { data, partitionKey: 'pk', explicitHashKey: '5', subSequenceNumber: undefined },
    ]);
  });

  it('refuses an aggregate with one flipped data byte with AGGREGATE_CHECKSUM_MISMATCH, naming both digests', () => {
    const corrupt = Buffer.from(twoRecords.data);
    corrupt[corrupt.length - 20]! ^= 0x01;
    let message = '';
    try {
      deaggregate({ data: corrupt, partitionKey: 'a' });
    } catch (error) {
      expect((error as AggregateFormatError).code).toBe('AGGREGATE_CHECKSUM_MISMATCH');
      message = (error as Error).message;
    }
    expect(message).toContain(corrupt.subarray(corrupt.length - 16).toString('hex'));
    expect(message).toContain('MD5');
  });

  it('refuses an aggregate whose MD5 trailer was damaged, and one cut short', () => {
    const badTrailer = Buffer.from(twoRecords.data);
    badTrailer[badTrailer.length - 1]! ^= 0xff;
    expect(codeOf(() => deaggregate({ data: badTrailer, partitionKey: 'a' }))).toBe('AGGREGATE_CHECKSUM_MISMATCH');
    const truncated = Buffer.from(twoRecords.data).subarray(0, twoRecords.data.length - 3);
    expect(codeOf(() => deaggregate({ data: truncated, partitionKey: 'a' }))).toBe('AGGREGATE_CHECKSUM_MISMATCH');
  });

  it('reads an empty aggregate (magic and the MD5 of nothing) as no user records', () => {
    expect(deaggregate({ data: sealed([]), partitionKey: 'a' })).toEqual([]);
  });

  it('accepts tables after the records and skips unknown fields such as tags', () => {
    const tag = field(0x22, [...field(0x0a, text('colour')), ...field(0x12, text('red'))]);
    const data = sealed([
      ...userRecord(1, 0, 'x', tag),
      ...field(0x0a, text('zero')),
      ...[0x28, 0x07], // field 5, varint: unknown to us
      ...field(0x0a, text('one')),
      ...field(0x12, text('123')),
      ...userRecord(0, undefined, 'y'),
    ]);
    expect(deaggregate({ data, partitionKey: 'a' }).map((r) => [r.partitionKey, r.explicitHashKey, r.data.toString()])).toEqual([
      ['one', '123', 'x'],
      ['zero', undefined, 'y'],
    ]);
  });

  it('skips an unknown varint field of any 64-bit value, as protobuf readers (and the KCL) do', () => {
    // field 5 = -1 as an int64: ten bytes, the longest varint protobuf has; field 6 = 2^53 (eight bytes).
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const twoTo53 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
    const data = sealed([0x28, ...minusOne, 0x30, ...twoTo53, ...field(0x0a, text('k')), ...userRecord(0, undefined, 'x', [0x28, ...minusOne])]);
    expect(deaggregate({ data, partitionKey: 'a' }).map((r) => [r.partitionKey, r.data.toString()])).toEqual([['k', 'x']]);
  });

  it('refuses a varint longer than protobuf\'s ten bytes with AGGREGATE_MALFORMED', () => {
    expect(codeOf(() => deaggregate({ data: sealed([0x28, ...new Array(10).fill(0x80), 0x01]), partitionKey: 'a' }))).toBe('AGGREGATE_MALFORMED');
  });

  it.each([
    ['a partition key index outside the table', [...field(0x0a, text('k')), ...userRecord(3, undefined, 'x')], 'partition_key_index 3'],
    ['an EHK index outside the table', [...field(0x0a, text('k')), ...userRecord(0, 0, 'x')], 'explicit_hash_key_index 0'],
    ['a record without data', [...field(0x0a, text('k')), ...userRecord(0, undefined, undefined)], 'data'],
    ['a record without a partition key index', [...field(0x0a, text('k')), ...userRecord(undefined, undefined, 'x')], 'partition_key_index'],
    ['a length running past the end', [0x0a, 0x05, 0x61], 'past the end'],
    ['a varint cut off', [0x1a, 0x80], 'varint'],
    ['a wire type protobuf does not have', [0x0f, 0x00], 'wire type 7'],
    ['field number 0', [0x00, 0x00], 'number 0'],
  ])('refuses %s with AGGREGATE_MALFORMED even when the MD5 matches', (_, protobuf, detail) => {
    let message = '';
    expect(
      codeOf(() => {
        try {
          deaggregate({ data: sealed(protobuf as number[]), partitionKey: 'a' });
        } catch (error) {
          message = (error as Error).message;
          throw error;
        }
      }),
    ).toBe('AGGREGATE_MALFORMED');
    expect(message).toContain(detail);
  });

  it('reads what aws-kinesis-agg\'s aggregator writes', async () => {
    const input = Array.from({ length: 30 }, (_, i) => ({
      partitionKey: `key-${i % 4}`,
      data: Buffer.from(`record number ${i}`),
      ...(i % 3 === 0 ? { explicitHashKey: String(1000 + (i % 2)) } : {}),
    }));
    const encoded = await new Promise<Array<{ data: Buffer; partitionKey: string }>>((resolve, reject) => {
      const out: Array<{ data: Buffer; partitionKey: string }> = [];
      awsKinesisAgg.aggregate(
        input.map((r) => ({ ...r })),
        (record, done) => {
          out.push(record);
          done();
        },
        () => resolve(out),
        (error) => reject(error),
      );
    });
    expect(encoded).toHaveLength(1);
    const decoded = deaggregate(encoded[0]!);
    expect(decoded.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: r.data.toString() }))).toEqual(
      input.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: r.data.toString() })),
    );
  });
});
