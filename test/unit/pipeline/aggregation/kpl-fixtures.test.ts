/**
 * Real KPL output (test/fixtures/kpl, see PROVENANCE.md) against our encoder and decoder.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregateRecords } from '../../../../src/pipeline/aggregation/aggregator.js';
import { deaggregate } from '../../../../src/pipeline/aggregation/deaggregate.js';
import { hashKeyOfPartitionKey, hashKeyToDecimal } from '../../../../src/pipeline/aggregation/hash-key.js';
import { deaggregateWithAwsKinesisAgg } from '../../../helpers/aws-kinesis-agg.js';

const fixture = (name: string): URL => new URL(`../../../fixtures/kpl/${name}`, import.meta.url);

interface ExpectedUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: string;
}

interface KplFixture {
  bin: string;
  json: string;
  /** The outer Kinesis record's partition key as the stream delivered it. */
  partitionKey: string;
  expected(json: any): ExpectedUserRecord[];
  description: string;
}

const aggregatedFixtures: KplFixture[] = [
  {
    description: 'real KPL record with 4 user records, 4 partition keys and 4 ExplicitHashKeys',
    bin: 'kpl-real-4-records-with-ehk.bin',
    json: 'kpl-real-4-records-with-ehk.json',
    partitionKey: 'a',
    expected: (json) => json.expectedUserRecords,
  },
  {
    description: 'real KPL record with 8 user records and no ExplicitHashKeys',
    bin: 'kpl-real-8-records-no-ehk.bin',
    json: 'kpl-real-8-records-no-ehk.json',
    partitionKey: 'a',
    expected: (json) => json.expectedUserRecords,
  },
  {
    description: 'real KPL record seen through Kinesis Analytics: 4 records sharing one key and one EHK',
    bin: 'kpl-real-via-kinesis-analytics-4-records.bin',
    json: 'kpl-real-via-kinesis-analytics-4-records.json',
    partitionKey: 'a',
    expected: (json) => json.expectedUserRecords.map(({ partitionKey, explicitHashKey, data }: ExpectedUserRecord) => ({ partitionKey, explicitHashKey, data })),
  },
  {
    description: 'kinesis-aggregation sample Lambda event with 100 user records',
    bin: 'kpl-100-records.bin',
    json: 'kpl-100-records-lambda-event.json',
    partitionKey: 'partitionKey-03',
    expected: (json) => json.expectedUserRecords,
  },
];

function load(f: KplFixture): { bytes: Buffer; expected: ExpectedUserRecord[] } {
  return { bytes: readFileSync(fixture(f.bin)), expected: f.expected(JSON.parse(readFileSync(fixture(f.json), 'utf8'))) };
}

describe('KPL fixtures', () => {
  it.each(aggregatedFixtures.map((f) => [f.description, f] as const))('our decoder reads the %s', (_, f) => {
    const { bytes, expected } = load(f);
    const decoded = deaggregate({ data: bytes, partitionKey: f.partitionKey });
    expect(decoded.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: r.data.toString('utf8') }))).toEqual(
      expected.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: r.data })),
    );
    expect(decoded.map((r) => r.subSequenceNumber)).toEqual(expected.map((_, i) => i));
  });

  it.each(aggregatedFixtures.map((f) => [f.description, f] as const))(
    'our aggregator, fed the user records of the %s in order, emits the identical bytes',
    (_, f) => {
      const { bytes, expected } = load(f);
      const entries = aggregateRecords(
        expected.map((r) => ({ partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey, data: Buffer.from(r.data, 'utf8') })),
        { maxAggregateBytes: 1_000_000 },
      );
      expect(entries).toHaveLength(1);
      expect(Buffer.from(entries[0]!.data).equals(bytes)).toBe(true);
      // The aggregate routes by its first user record, as KPL does.
      const first = expected[0]!;
      expect(entries[0]!.explicitHashKey).toBe(first.explicitHashKey ?? hashKeyToDecimal(hashKeyOfPartitionKey(first.partitionKey)));
    },
  );

  it('aws-kinesis-agg agrees with the fixture expectations (the independent decoder reads them too)', () => {
    for (const f of aggregatedFixtures) {
      const { bytes, expected } = load(f);
      const theirs = deaggregateWithAwsKinesisAgg({ data: bytes, partitionKey: f.partitionKey });
      expect(theirs.map((r) => ({ partitionKey: r.partitionKey, data: r.data.toString('utf8') }))).toEqual(
        expected.map((r) => ({ partitionKey: r.partitionKey, data: r.data })),
      );
    }
  });

  it('passes a KPL record that was not aggregated through unchanged', () => {
    const json = JSON.parse(readFileSync(fixture('kpl-real-via-kinesis-analytics-not-aggregated.json'), 'utf8'));
    const data = Buffer.from(json.record.data, 'base64');
    const partitionKey = json.record.kinesisStreamRecordMetadata.partitionKey;
    const decoded = deaggregate({ data, partitionKey });
    expect(decoded).toHaveLength(1);
    expect(decoded[0]!.data).toBe(data);
    expect(decoded[0]!.partitionKey).toBe(json.expectedUserRecords[0].partitionKey);
    expect(decoded[0]!.data.toString('utf8')).toBe(json.expectedUserRecords[0].data);
    expect(decoded[0]!.subSequenceNumber).toBeUndefined();
  });
});
