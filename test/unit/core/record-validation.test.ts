import { describe, expect, it } from 'vitest';
import { InvalidInputError, KedgeError } from '../../../src/core/errors.js';
import { KDS_HASH_KEY_MAX } from '../../../src/core/limits.js';
import {
  InvalidRecordError,
  validateFirehoseRecord,
  validateKinesisRecord,
  type InvalidRecordCode,
} from '../../../src/core/record-validation.js';

const MIB = 1024 * 1024;

/** Runs `fn`, expects an InvalidRecordError with `code`, and returns its message. */
function refusal(code: InvalidRecordCode, fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(KedgeError);
    expect((error as InvalidRecordError).code).toBe(code);
    return (error as Error).message;
  }
  throw new Error(`expected ${code}, but the record was accepted`);
}

describe('validateKinesisRecord', () => {
  it('accepts a record of exactly 1 MiB including its partition key and returns the size Kinesis counts', () => {
    const record = { data: Buffer.alloc(MIB - 3), partitionKey: 'abc' };
    expect(validateKinesisRecord(record)).toBe(MIB);
  });

  it('refuses a record one byte over 1 MiB with RECORD_TOO_LARGE, naming the limit and the actual size', () => {
    const message = refusal('RECORD_TOO_LARGE', () => validateKinesisRecord({ data: Buffer.alloc(MIB - 2), partitionKey: 'abc' }));
    expect(message).toContain('1048577 bytes');
    expect(message).toContain('at most 1048576 bytes');
  });

  it('counts the partition key in UTF-8 bytes towards the record size', () => {
    // 'é' is one UTF-16 code unit but two UTF-8 bytes.
    const record = { data: Buffer.alloc(MIB - 4), partitionKey: 'éé' };
    expect(validateKinesisRecord(record)).toBe(MIB);
    const message = refusal('RECORD_TOO_LARGE', () => validateKinesisRecord({ data: Buffer.alloc(MIB - 3), partitionKey: 'éé' }));
    expect(message).toContain('partition key 4 UTF-8 bytes');
  });

  it('accepts larger records only when the stream is configured for them', () => {
    const record = { data: Buffer.alloc(2 * MIB), partitionKey: 'k' };
    refusal('RECORD_TOO_LARGE', () => validateKinesisRecord(record));
    expect(validateKinesisRecord(record, { maxRecordBytes: 10 * MIB })).toBe(2 * MIB + 1);
  });

  it('accepts empty data', () => {
    expect(validateKinesisRecord({ data: new Uint8Array(0), partitionKey: 'k' })).toBe(1);
  });

  it('refuses data that is not bytes with RECORD_DATA_INVALID', () => {
    const message = refusal('RECORD_DATA_INVALID', () =>
      validateKinesisRecord({ data: 'text' as unknown as Uint8Array, partitionKey: 'k' }),
    );
    expect(message).toContain('got a string');
    expect(message).toContain('Buffer.from');
  });

  it('refuses an empty partition key with PARTITION_KEY_INVALID, stating the 1–256 bounds and the length', () => {
    const message = refusal('PARTITION_KEY_INVALID', () => validateKinesisRecord({ data: Buffer.alloc(1), partitionKey: '' }));
    expect(message).toContain('1–256');
    expect(message).toContain('got 0');
  });

  it('accepts a 256-character partition key and refuses 257 characters', () => {
    expect(validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k'.repeat(256) })).toBe(256);
    const message = refusal('PARTITION_KEY_INVALID', () => validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k'.repeat(257) }));
    expect(message).toContain('got 257');
  });

  it('counts partition key length in UTF-16 code units, so 129 emoji (258 units) are refused', () => {
    expect(validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: '😀'.repeat(128) })).toBe(512);
    const message = refusal('PARTITION_KEY_INVALID', () => validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: '😀'.repeat(129) }));
    expect(message).toContain('got 258');
  });

  it('refuses a partition key with an unpaired surrogate, which has no UTF-8 form', () => {
    const message = refusal('PARTITION_KEY_INVALID', () => validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'ab\uD800' }));
    expect(message).toContain('unpaired');
  });

  it('refuses a partition key that is not a string', () => {
    const message = refusal('PARTITION_KEY_INVALID', () =>
      validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 42 as unknown as string }),
    );
    expect(message).toContain('got a number');
  });

  it('accepts ExplicitHashKeys 0 and 2^128 − 1', () => {
    expect(validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k', explicitHashKey: '0' })).toBe(1);
    expect(validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k', explicitHashKey: KDS_HASH_KEY_MAX.toString() })).toBe(1);
  });

  it('refuses an ExplicitHashKey of 2^128 with EXPLICIT_HASH_KEY_INVALID, naming the maximum and the value', () => {
    const tooBig = (KDS_HASH_KEY_MAX + 1n).toString();
    const message = refusal('EXPLICIT_HASH_KEY_INVALID', () =>
      validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k', explicitHashKey: tooBig }),
    );
    expect(message).toContain(KDS_HASH_KEY_MAX.toString());
    expect(message).toContain(tooBig);
  });

  it.each([
    ['a leading zero', '0123'],
    ['a sign', '-1'],
    ['hex', '0x10'],
    ['40 digits', '1'.repeat(40)],
    ['an empty string', ''],
    ['spaces', ' 12'],
  ])('refuses an ExplicitHashKey with %s, quoting it', (_, value) => {
    const message = refusal('EXPLICIT_HASH_KEY_INVALID', () =>
      validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k', explicitHashKey: value }),
    );
    expect(message).toContain(JSON.stringify(value));
  });

  it('refuses an ExplicitHashKey that is not a string', () => {
    const message = refusal('EXPLICIT_HASH_KEY_INVALID', () =>
      validateKinesisRecord({ data: Buffer.alloc(0), partitionKey: 'k', explicitHashKey: 5 as unknown as string }),
    );
    expect(message).toContain('got a number');
  });
});

describe('validateFirehoseRecord', () => {
  it('accepts 1,024,000 bytes and refuses 1,024,001 with RECORD_TOO_LARGE naming both', () => {
    expect(validateFirehoseRecord(Buffer.alloc(1_024_000))).toBe(1_024_000);
    const message = refusal('RECORD_TOO_LARGE', () => validateFirehoseRecord(Buffer.alloc(1_024_001)));
    expect(message).toContain('1024001 bytes');
    expect(message).toContain('at most 1024000 bytes');
  });

  it('refuses data that is not bytes', () => {
    refusal('RECORD_DATA_INVALID', () => validateFirehoseRecord({} as Uint8Array));
  });
});
