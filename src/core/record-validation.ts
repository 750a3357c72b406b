/**
 * Put-time validation of one record against a sink's service limits (reference/kds.md §1.1, §1.2).
 *
 * A record that fails here could never be delivered, so we refuse it at `put()` with a stable code,
 * before it costs spool space and a round trip. Each function returns the size the service will
 * count for the record, so callers can account for request sizes without measuring twice.
 */
import { InvalidInputError } from './errors.js';
import {
  FIREHOSE_RECORD_MAX_BYTES,
  KDS_EXPLICIT_HASH_KEY_PATTERN,
  KDS_HASH_KEY_MAX,
  KDS_PARTITION_KEY_MAX_CHARS,
  KDS_PARTITION_KEY_MIN_CHARS,
  KDS_RECORD_MAX_BYTES,
} from './limits.js';

export type InvalidRecordCode =
  | 'RECORD_TOO_LARGE'
  | 'RECORD_DATA_INVALID'
  | 'PARTITION_KEY_INVALID'
  | 'EXPLICIT_HASH_KEY_INVALID';

/** A record that no sink of the named kind can ever accept. Retrying it is pointless. */
export class InvalidRecordError extends InvalidInputError {
  declare readonly code: InvalidRecordCode;

  constructor(code: InvalidRecordCode, message: string) {
    super(code, message);
  }
}

/** The fields of a Kinesis Data Streams record that the service limits apply to. */
export interface KinesisRecordFields {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
}

export interface RecordSizeOptions {
  /**
   * The stream's MaxRecordSize in bytes (data plus partition key). Defaults to the service default;
   * raise it only for a stream configured with UpdateMaxRecordSize.
   */
  readonly maxRecordBytes?: number;
}

const HASH_KEY_MAX_DECIMAL = KDS_HASH_KEY_MAX.toString();
// With the `u` flag a lone surrogate is its own code point and matches \p{Cs}; a proper pair does not.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks a Kinesis Data Streams record and returns its size as the service counts it: data bytes
 * plus the UTF-8 bytes of the partition key. Throws {@link InvalidRecordError}.
 */
export function validateKinesisRecord(record: KinesisRecordFields, options: RecordSizeOptions = {}): number {
  const maxRecordBytes = options.maxRecordBytes ?? KDS_RECORD_MAX_BYTES;
  checkData(record.data);
  const partitionKeyBytes = checkPartitionKey(record.partitionKey);
  if (record.explicitHashKey !== undefined) checkExplicitHashKey(record.explicitHashKey);

  const size = record.data.byteLength + partitionKeyBytes;
  if (size > maxRecordBytes) {
    throw new InvalidRecordError(
      'RECORD_TOO_LARGE',
      `Record is ${size} bytes (data ${record.data.byteLength} + partition key ${partitionKeyBytes} UTF-8 bytes); ` +
        `a Kinesis record may be at most ${maxRecordBytes} bytes including its partition key. ` +
        'Split the data into smaller records, or raise the stream\'s MaxRecordSize and the sink\'s maxRecordBytes.',
    );
  }
  return size;
}

/** Checks a Firehose record's data and returns its size in bytes. Throws {@link InvalidRecordError}. */
export function validateFirehoseRecord(data: Uint8Array, options: RecordSizeOptions = {}): number {
  const maxRecordBytes = options.maxRecordBytes ?? FIREHOSE_RECORD_MAX_BYTES;
  checkData(data);
  if (data.byteLength > maxRecordBytes) {
    throw new InvalidRecordError(
      'RECORD_TOO_LARGE',
      `Record is ${data.byteLength} bytes; a Firehose record may be at most ${maxRecordBytes} bytes ` +
        '(1,000 KiB, before base64). Split the data into smaller records.',
    );
  }
  return data.byteLength;
}

/**
 * Checks a partition key and returns its UTF-8 length in bytes (what counts towards size limits).
 * Length is counted in UTF-16 code units; see KDS_PARTITION_KEY_MAX_CHARS for why.
 */
export function checkPartitionKey(partitionKey: unknown): number {
  if (typeof partitionKey !== 'string') {
    throw new InvalidRecordError(
      'PARTITION_KEY_INVALID',
      `Partition key must be a string of ${KDS_PARTITION_KEY_MIN_CHARS}–${KDS_PARTITION_KEY_MAX_CHARS} characters, got ${describeType(partitionKey)}.`,
    );
  }
  const length = partitionKey.length;
  if (length < KDS_PARTITION_KEY_MIN_CHARS || length > KDS_PARTITION_KEY_MAX_CHARS) {
    throw new InvalidRecordError(
      'PARTITION_KEY_INVALID',
      `Partition key must be ${KDS_PARTITION_KEY_MIN_CHARS}–${KDS_PARTITION_KEY_MAX_CHARS} characters (UTF-16 code units), ` +
        `got ${length}. Use a shorter key, e.g. a device id or a hash of the long one.`,
    );
  }
  // A lone surrogate has no UTF-8 form: it would be sent as U+FFFD and hash to a different shard
  // than the caller computed.
  if (LONE_SURROGATE.test(partitionKey)) {
    throw new InvalidRecordError(
      'PARTITION_KEY_INVALID',
      'Partition key must be well-formed Unicode, got a string with an unpaired UTF-16 surrogate; ' +
        'it cannot be encoded as UTF-8. Fix the code that builds the key.',
    );
  }
  return Buffer.byteLength(partitionKey, 'utf8');
}

/** Checks an ExplicitHashKey: a canonical decimal string in [0, 2^128 − 1]. */
export function checkExplicitHashKey(explicitHashKey: unknown): void {
  if (typeof explicitHashKey !== 'string' || !KDS_EXPLICIT_HASH_KEY_PATTERN.test(explicitHashKey)) {
    const shown = typeof explicitHashKey === 'string' ? JSON.stringify(explicitHashKey.slice(0, 60)) : describeType(explicitHashKey);
    throw new InvalidRecordError(
      'EXPLICIT_HASH_KEY_INVALID',
      `ExplicitHashKey must be a decimal integer string without sign or leading zeros (pattern 0|[1-9]\\d{0,38}), got ${shown}.`,
    );
  }
  // Same-length decimal strings without leading zeros compare like the numbers they spell.
  if (explicitHashKey.length === HASH_KEY_MAX_DECIMAL.length && explicitHashKey > HASH_KEY_MAX_DECIMAL) {
    throw new InvalidRecordError(
      'EXPLICIT_HASH_KEY_INVALID',
      `ExplicitHashKey must be at most 2^128 − 1 = ${HASH_KEY_MAX_DECIMAL}, got ${explicitHashKey}.`,
    );
  }
}

function checkData(data: unknown): void {
  if (!(data instanceof Uint8Array)) {
    throw new InvalidRecordError(
      'RECORD_DATA_INVALID',
      `Record data must be a Buffer or Uint8Array, got ${describeType(data)}. Encode strings with Buffer.from(text).`,
    );
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type === 'undefined') return 'undefined';
  if (type === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
