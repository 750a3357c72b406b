import { describe, expect, it } from 'vitest';
import {
  FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
  FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES,
  FIREHOSE_RECORD_MAX_BYTES,
  KDS_EXPLICIT_HASH_KEY_PATTERN,
  KDS_HASH_KEY_MAX,
  KDS_PARTITION_KEY_MAX_CHARS,
  KDS_PARTITION_KEY_MIN_CHARS,
  KDS_PUT_RECORDS_MAX_RECORDS,
  KDS_PUT_RECORDS_MAX_REQUEST_BYTES,
  KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API,
  KDS_RECORD_MAX_BYTES,
  KDS_RECORD_MAX_BYTES_LARGE_RECORDS,
  KDS_SHARD_WRITE_BYTES_PER_SECOND,
  KDS_SHARD_WRITE_RECORDS_PER_SECOND,
} from '../../../src/core/limits.js';

describe('service limits (reference/kds.md §1)', () => {
  it('caps a PutRecords request at 500 records and, by default, the 5 MiB every endpoint accepts', () => {
    expect(KDS_PUT_RECORDS_MAX_RECORDS).toBe(500);
    expect(KDS_PUT_RECORDS_MAX_REQUEST_BYTES).toBe(5_242_880);
    expect(KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API).toBe(10_485_760);
  });

  it('caps a Kinesis record at 1 MiB including its partition key, 10 MiB for large-record streams', () => {
    expect(KDS_RECORD_MAX_BYTES).toBe(1_048_576);
    expect(KDS_RECORD_MAX_BYTES_LARGE_RECORDS).toBe(10_485_760);
  });

  it('allows partition keys of 1 to 256 characters', () => {
    expect([KDS_PARTITION_KEY_MIN_CHARS, KDS_PARTITION_KEY_MAX_CHARS]).toEqual([1, 256]);
  });

  it('states the per-shard write limits as 1 MiB/s and 1,000 records/s', () => {
    expect(KDS_SHARD_WRITE_BYTES_PER_SECOND).toBe(1_048_576);
    expect(KDS_SHARD_WRITE_RECORDS_PER_SECOND).toBe(1000);
  });

  it('bounds hash keys at 2^128 − 1 and matches the ExplicitHashKey pattern of the API', () => {
    expect(KDS_HASH_KEY_MAX).toBe(340282366920938463463374607431768211455n);
    expect(KDS_EXPLICIT_HASH_KEY_PATTERN.test('0')).toBe(true);
    expect(KDS_EXPLICIT_HASH_KEY_PATTERN.test(KDS_HASH_KEY_MAX.toString())).toBe(true);
    expect(KDS_EXPLICIT_HASH_KEY_PATTERN.test('1'.repeat(40))).toBe(false);
    expect(KDS_EXPLICIT_HASH_KEY_PATTERN.test('01')).toBe(false);
  });

  it('caps Firehose at 500 records and 4 MiB per PutRecordBatch and 1,000 KiB per record', () => {
    expect(FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS).toBe(500);
    expect(FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES).toBe(4_194_304);
    expect(FIREHOSE_RECORD_MAX_BYTES).toBe(1_024_000);
  });
});
