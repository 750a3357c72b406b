/**
 * Our own reader of the KPL aggregated format (format.ts): used by tests, by the local ingest
 * target's Firehose (which passes a record that fails here through whole, as the KCL does) and by
 * anyone reading a stream kedge wrote. It checks the MD5 trailer, accepts
 * fields in any order, skips fields it does not know (e.g. the unimplemented `tags`), and refuses
 * anything malformed with a clear code instead of returning half a record.
 *
 * User data is returned as views into the input (no copies).
 */
import { KedgeError } from '../../core/errors.js';
import {
  hasAggregateMagic,
  KPL_DIGEST_BYTES,
  KPL_MAGIC_BYTES,
  TAG_EXPLICIT_HASH_KEY_TABLE,
  TAG_PARTITION_KEY_TABLE,
  TAG_RECORD_DATA,
  TAG_RECORD_EXPLICIT_HASH_KEY_INDEX,
  TAG_RECORD_PARTITION_KEY_INDEX,
  TAG_RECORDS,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './format.js';
import { md5 } from './md5.js';

export type AggregateFormatErrorCode = 'AGGREGATE_CHECKSUM_MISMATCH' | 'AGGREGATE_MALFORMED';

export class AggregateFormatError extends KedgeError {
  declare readonly code: AggregateFormatErrorCode;

  constructor(code: AggregateFormatErrorCode, message: string) {
    super(code, message);
  }
}

/** A Kinesis record as read from a stream (or as sent: data, partition key, optional EHK). */
export interface ReceivedKinesisRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
}

export interface DeaggregatedRecord {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Position inside the aggregate; undefined for a record that was not aggregated. */
  readonly subSequenceNumber: number | undefined;
}

/**
 * Returns the user records inside `record`. A record without the KPL magic is returned as is.
 * Throws {@link AggregateFormatError}: `AGGREGATE_CHECKSUM_MISMATCH` if the MD5 trailer does not
 * match the protobuf bytes, `AGGREGATE_MALFORMED` if the protobuf cannot be read.
 */
export function deaggregate(record: ReceivedKinesisRecord): DeaggregatedRecord[] {
  const input = record.data;
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!hasAggregateMagic(bytes)) {
    return [{ data: bytes, partitionKey: record.partitionKey, explicitHashKey: record.explicitHashKey, subSequenceNumber: undefined }];
  }
  const end = bytes.length - KPL_DIGEST_BYTES;
  const protobuf = bytes.subarray(KPL_MAGIC_BYTES, end);
  const expected = bytes.subarray(end);
  const actual = md5(protobuf);
  if (!actual.equals(expected)) {
    throw new AggregateFormatError(
      'AGGREGATE_CHECKSUM_MISMATCH',
      `Aggregated record (partition key ${JSON.stringify(record.partitionKey)}, ${bytes.length} bytes) fails its MD5 check: ` +
        `trailer ${expected.toString('hex')}, computed ${actual.toString('hex')}. The record was corrupted or truncated.`,
    );
  }
  return readAggregatedRecord(bytes, KPL_MAGIC_BYTES, end);
}

function readAggregatedRecord(bytes: Buffer, start: number, end: number): DeaggregatedRecord[] {
  const reader = new Reader(bytes, start, end);
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  // (start, end) of each Record message; tables may legally come after the records.
  const recordSpans: number[] = [];
  while (reader.offset < end) {
    const tag = reader.varint();
    switch (tag) {
      case TAG_PARTITION_KEY_TABLE:
        reader.lengthDelimited();
        partitionKeys.push(bytes.toString('utf8', reader.spanStart, reader.spanEnd));
        break;
      case TAG_EXPLICIT_HASH_KEY_TABLE:
        reader.lengthDelimited();
        explicitHashKeys.push(bytes.toString('utf8', reader.spanStart, reader.spanEnd));
        break;
      case TAG_RECORDS:
        reader.lengthDelimited();
        recordSpans.push(reader.spanStart, reader.spanEnd);
        break;
      default:
        reader.skip(tag);
    }
  }

  const records: DeaggregatedRecord[] = new Array(recordSpans.length / 2);
  for (let i = 0; i < recordSpans.length; i += 2) {
    const n = i / 2;
    const inner = new Reader(bytes, recordSpans[i]!, recordSpans[i + 1]!);
    let partitionKeyIndex = -1;
    let explicitHashKeyIndex = -1;
    let data: Buffer | undefined;
    while (inner.offset < inner.end) {
      const tag = inner.varint();
      if (tag === TAG_RECORD_PARTITION_KEY_INDEX) partitionKeyIndex = inner.varint();
      else if (tag === TAG_RECORD_EXPLICIT_HASH_KEY_INDEX) explicitHashKeyIndex = inner.varint();
      else if (tag === TAG_RECORD_DATA) {
        inner.lengthDelimited();
        data = bytes.subarray(inner.spanStart, inner.spanEnd);
      } else inner.skip(tag);
    }
    if (partitionKeyIndex < 0 || data === undefined) {
      throw malformed(`user record ${n} lacks its required ${data === undefined ? 'data' : 'partition_key_index'} field`);
    }
    const partitionKey = partitionKeys[partitionKeyIndex];
    if (partitionKey === undefined) {
      throw malformed(`user record ${n} has partition_key_index ${partitionKeyIndex} but the table has ${partitionKeys.length} keys`);
    }
    let explicitHashKey: string | undefined;
    if (explicitHashKeyIndex >= 0) {
      explicitHashKey = explicitHashKeys[explicitHashKeyIndex];
      if (explicitHashKey === undefined) {
        throw malformed(
          `user record ${n} has explicit_hash_key_index ${explicitHashKeyIndex} but the table has ${explicitHashKeys.length} keys`,
        );
      }
    }
    records[n] = { data, partitionKey, explicitHashKey, subSequenceNumber: n };
  }
  return records;
}

function malformed(detail: string): AggregateFormatError {
  return new AggregateFormatError('AGGREGATE_MALFORMED', `Aggregated record is malformed: ${detail}.`);
}

/** A cursor over protobuf bytes in [offset, end). Length-delimited reads set spanStart/spanEnd. */
class Reader {
  offset: number;
  spanStart = 0;
  spanEnd = 0;

  constructor(
    private readonly bytes: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.offset = start;
  }

  /**
   * A varint as a number. Up to ten bytes, protobuf's limit, so an unknown field of any 64-bit value is
   * skipped as the KCL's protobuf reader skips it. Past 2^53 the number is inexact, which can only make an
   * index miss its table or a length run past the end: both refused.
   */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw malformed('a varint runs past the end of its message');
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw malformed('a varint is longer than protobuf\'s 10 bytes');
  }

  lengthDelimited(): void {
    const length = this.varint();
    if (length > this.end - this.offset) throw malformed(`a field of ${length} bytes runs past the end of its message`);
    this.spanStart = this.offset;
    this.offset += length;
    this.spanEnd = this.offset;
  }

  skip(tag: number): void {
    if (tag < 8) throw malformed('a field has number 0, which protobuf does not allow');
    const wireType = tag & 7;
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_LENGTH_DELIMITED) this.lengthDelimited();
    else if (wireType === WIRE_FIXED64) this.advance(8);
    else if (wireType === WIRE_FIXED32) this.advance(4);
    else throw malformed(`field ${Math.floor(tag / 8)} has unsupported wire type ${wireType}`);
  }

  private advance(count: number): void {
    if (count > this.end - this.offset) throw malformed('a fixed-size field runs past the end of its message');
    this.offset += count;
  }
}
