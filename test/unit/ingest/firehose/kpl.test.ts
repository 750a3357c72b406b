import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deaggregate, KPL_MAGIC } from '../../../../src/ingest/firehose/kpl.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/kpl');
const bin = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const expected = (name: string): Array<{ partitionKey: string; explicitHashKey?: string; data: string }> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).expectedUserRecords;

const simplify = (records: ReturnType<typeof deaggregate>) =>
  records.map((r) => ({ partitionKey: r.partitionKey, ...(r.explicitHashKey ? { explicitHashKey: r.explicitHashKey } : {}), data: r.data.toString('utf8') }));

function aggregate(body: Buffer): Buffer {
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

describe('KPL de-aggregation', () => {
  it.each([
    ['kpl-real-4-records-with-ehk', 4],
    ['kpl-real-8-records-no-ehk', 8],
    ['kpl-real-via-kinesis-analytics-4-records', 4],
  ])('splits the real KPL record %s into its %i user records with their keys', (name, count) => {
    const records = deaggregate(bin(`${name}.bin`), 'a');
    expect(records).toHaveLength(count);
    expect(simplify(records)).toEqual(expected(`${name}.json`).map(({ partitionKey, explicitHashKey, data }) => ({ partitionKey, ...(explicitHashKey ? { explicitHashKey } : {}), data })));
    expect(records.map((r) => r.subSequenceNumber)).toEqual([...Array(count).keys()]);
  });

  it('splits the 100-record aggregate of the aws-kinesis-aggregation sample event', () => {
    const records = deaggregate(bin('kpl-100-records.bin'), 'partitionKey-03');
    expect(simplify(records)).toEqual(expected('kpl-100-records-lambda-event.json'));
  });

  it('passes a record without the magic through unchanged, with its own partition key', () => {
    const plain = JSON.parse(readFileSync(join(FIXTURES, 'kpl-real-via-kinesis-analytics-not-aggregated.json'), 'utf8'));
    const data = Buffer.from(plain.record.data, 'base64');
    const records = deaggregate(data, plain.record.kinesisStreamRecordMetadata.partitionKey);
    expect(records).toHaveLength(1);
    expect(records[0]!.data.equals(data)).toBe(true);
    expect(records[0]!.partitionKey).toBe('1562602074896');
    expect(records[0]!.data.toString()).toBe(plain.expectedUserRecords[0].data);
  });

  it('passes a record whose MD5 does not match through as one record, as the KCL does', () => {
    const corrupt = Buffer.from(bin('kpl-real-4-records-with-ehk.bin'));
    corrupt[corrupt.length - 1]! ^= 0xff;
    const records = deaggregate(corrupt, 'a');
    expect(records).toHaveLength(1);
    expect(records[0]!.data.equals(corrupt)).toBe(true);
  });

  it('passes a truncated aggregate through as one record', () => {
    const cut = bin('kpl-real-8-records-no-ehk.bin').subarray(0, 300);
    expect(deaggregate(cut, 'a')).toHaveLength(1);
  });

  it('passes through an aggregate with a valid MD5 but a partition key index outside its table', () => {
    // Record { partition_key_index: 5, data: "x" } with an empty partition key table.
    const bad = aggregate(Buffer.from([0x1a, 0x05, 0x08, 0x05, 0x1a, 0x01, 0x78]));
    const records = deaggregate(bad, 'pk');
    expect(records).toEqual([{ partitionKey: 'pk', explicitHashKey: undefined, data: bad, subSequenceNumber: 0 }]);
  });

  it('skips fields it does not know (tags) and reads empty data', () => {
    // partition_key_table ["k"]; Record { pk 0, data "", tags [{key "t"}] }
    const body = Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x09, 0x08, 0x00, 0x1a, 0x00, 0x22, 0x03, 0x0a, 0x01, 0x74]);
    const records = deaggregate(aggregate(body), 'a');
    expect(simplify(records)).toEqual([{ partitionKey: 'k', data: '' }]);
  });
});
