/**
 * Packs user records bound for ONE shard into Kinesis records in the KPL aggregated format
 * (format.ts, reference/kds.md §2.1 and §2.3). Keep one Aggregator per predicted shard: KCL drops
 * sub-records whose hash key is outside the shard that received the aggregate.
 *
 * Size is exact and incremental: every `tryAdd` computes what the record adds to the protobuf
 * (new table entries, index varints, the record's length prefix), so the aggregate is never
 * re-encoded to be measured and `sizeBytes` always equals the length `flush()` will produce.
 *
 * Hot path: user data is kept by reference and copied once, into the single output buffer, at
 * flush. Per record we store three small integers and the caller's record object; no timers, no
 * promises. Timing (KPL's RecordMaxBufferedTime) belongs to the caller, which flushes on a deadline.
 */
import { InvalidInputError } from '../../core/errors.js';
import { KDS_RECORD_MAX_BYTES } from '../../core/limits.js';
import {
  AGGREGATED_PARTITION_KEY,
  KPL_AGGREGATION_MAX_BYTES_DEFAULT,
  KPL_AGGREGATION_MAX_RECORDS_DEFAULT,
  KPL_FIXED_OVERHEAD_BYTES,
  KPL_MAGIC,
  KPL_MAGIC_BYTES,
  TAG_EXPLICIT_HASH_KEY_TABLE,
  TAG_PARTITION_KEY_TABLE,
  TAG_RECORD_DATA,
  TAG_RECORD_EXPLICIT_HASH_KEY_INDEX,
  TAG_RECORD_PARTITION_KEY_INDEX,
  TAG_RECORDS,
} from './format.js';
import { type HashKey, hashKeyOfPartitionKey, hashKeyToDecimal } from './hash-key.js';
import { md5 } from './md5.js';
import { varintSize, writeVarint } from './varint.js';

/** A record as the user put it. Validate it first (core/record-validation.ts). */
export interface UserRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
}

/** One PutRecords entry made by {@link Aggregator.flush}, with the user records it carries. */
export interface KinesisEntry<T extends UserRecord = UserRecord> {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** The user records inside, in order (a single raw record is a list of one). */
  readonly userRecords: T[];
  /** True when `data` is in the KPL aggregated format (two or more user records). */
  readonly isAggregated: boolean;
  /** Size as Kinesis counts it against record and request limits: data plus UTF-8 partition key. */
  readonly sizeBytes: number;
}

export interface AggregatorOptions {
  /**
   * Largest aggregated record's data in bytes (KPL AggregationMaxSize, default 51,200). A single
   * user record larger than this still goes out, alone and raw.
   */
  readonly maxAggregateBytes?: number;
  /** Most user records in one aggregated record (KPL AggregationMaxCount, default 2^32 − 1). */
  readonly maxRecordsPerAggregate?: number;
  /** The stream's MaxRecordSize: data plus partition key (default 1 MiB). */
  readonly maxRecordBytes?: number;
}

const NO_EXPLICIT_HASH_KEY = -1;

export class Aggregator<T extends UserRecord = UserRecord> {
  readonly #maxAggregateBytes: number;
  readonly #maxRecords: number;

  #records: T[] = [];
  #partitionKeyIndex: number[] = [];
  #explicitHashKeyIndex: number[] = [];
  #firstHashKey: HashKey | undefined;

  readonly #partitionKeyIndexByKey = new Map<string, number>();
  #partitionKeys: string[] = [];
  #partitionKeyBytes: number[] = [];
  readonly #explicitHashKeyIndexByKey = new Map<string, number>();
  #explicitHashKeys: string[] = [];

  /** Exact protobuf size of the records held, encoded as an AggregatedRecord. */
  #protobufBytes = 0;

  constructor(options: AggregatorOptions = {}) {
    const maxRecordBytes = options.maxRecordBytes ?? KDS_RECORD_MAX_BYTES;
    const maxAggregateBytes = options.maxAggregateBytes ?? KPL_AGGREGATION_MAX_BYTES_DEFAULT;
    const maxRecords = options.maxRecordsPerAggregate ?? KPL_AGGREGATION_MAX_RECORDS_DEFAULT;
    requireInteger('maxRecordBytes', maxRecordBytes, KPL_FIXED_OVERHEAD_BYTES + 1);
    requireInteger('maxAggregateBytes', maxAggregateBytes, KPL_FIXED_OVERHEAD_BYTES);
    requireInteger('maxRecordsPerAggregate', maxRecords, 1);
    // The aggregated record also carries its one-byte partition key "a" against the record limit.
    this.#maxAggregateBytes = Math.min(maxAggregateBytes, maxRecordBytes - AGGREGATED_PARTITION_KEY.length);
    this.#maxRecords = maxRecords;
  }

  /** User records held. */
  get count(): number {
    return this.#records.length;
  }

  /** Exact byte length of the `data` that {@link flush} would return now. */
  get sizeBytes(): number {
    const count = this.#records.length;
    if (count === 0) return 0;
    if (count === 1) return this.#records[0]!.data.byteLength;
    return KPL_FIXED_OVERHEAD_BYTES + this.#protobufBytes;
  }

  /**
   * Adds the record if the aggregate stays within the limits; returns false (and changes nothing)
   * if it would not, in which case the caller flushes and adds it to the next aggregate. An empty
   * aggregator always takes the record: alone, it goes out raw.
   *
   * `hashKey` is the record's hash key if the caller already computed it (to pick the shard); it
   * spares an MD5 when this record becomes the first of an aggregate.
   */
  tryAdd(record: T, hashKey?: HashKey): boolean {
    const partitionKey = record.partitionKey;
    const explicitHashKey = record.explicitHashKey;

    let added = 0;
    let partitionKeyIndex = this.#partitionKeyIndexByKey.get(partitionKey);
    let partitionKeyBytes = 0;
    if (partitionKeyIndex === undefined) {
      partitionKeyIndex = this.#partitionKeys.length;
      partitionKeyBytes = Buffer.byteLength(partitionKey, 'utf8');
      added += 1 + varintSize(partitionKeyBytes) + partitionKeyBytes;
    }
    let explicitHashKeyIndex = NO_EXPLICIT_HASH_KEY;
    let isNewExplicitHashKey = false;
    if (explicitHashKey !== undefined) {
      const known = this.#explicitHashKeyIndexByKey.get(explicitHashKey);
      if (known === undefined) {
        explicitHashKeyIndex = this.#explicitHashKeys.length;
        isNewExplicitHashKey = true;
        // A valid ExplicitHashKey is ASCII digits: its UTF-8 length is its string length.
        added += 1 + varintSize(explicitHashKey.length) + explicitHashKey.length;
      } else {
        explicitHashKeyIndex = known;
      }
    }
    const inner = recordMessageBytes(partitionKeyIndex, explicitHashKeyIndex, record.data.byteLength);
    added += 1 + varintSize(inner) + inner;

    const count = this.#records.length;
    if (count > 0) {
      if (count + 1 > this.#maxRecords) return false;
      if (KPL_FIXED_OVERHEAD_BYTES + this.#protobufBytes + added > this.#maxAggregateBytes) return false;
    } else {
      this.#firstHashKey = hashKey;
    }

    if (partitionKeyIndex === this.#partitionKeys.length) {
      this.#partitionKeyIndexByKey.set(partitionKey, partitionKeyIndex);
      this.#partitionKeys.push(partitionKey);
      this.#partitionKeyBytes.push(partitionKeyBytes);
    }
    if (isNewExplicitHashKey) {
      this.#explicitHashKeyIndexByKey.set(explicitHashKey!, explicitHashKeyIndex);
      this.#explicitHashKeys.push(explicitHashKey!);
    }
    this.#records.push(record);
    this.#partitionKeyIndex.push(partitionKeyIndex);
    this.#explicitHashKeyIndex.push(explicitHashKeyIndex);
    this.#protobufBytes += added;
    return true;
  }

  /** Emits the held records as one Kinesis record and empties the aggregator; undefined if empty. */
  flush(): KinesisEntry<T> | undefined {
    const records = this.#records;
    if (records.length === 0) return undefined;
    let entry: KinesisEntry<T>;
    if (records.length === 1) {
      const only = records[0]!;
      entry = {
        data: only.data,
        partitionKey: only.partitionKey,
        explicitHashKey: only.explicitHashKey,
        userRecords: records,
        isAggregated: false,
        sizeBytes: only.data.byteLength + this.#partitionKeyBytes[0]!,
      };
    } else {
      const data = this.#encode();
      entry = {
        data,
        partitionKey: AGGREGATED_PARTITION_KEY,
        explicitHashKey: this.#firstRecordHashKeyDecimal(),
        userRecords: records,
        isAggregated: true,
        sizeBytes: data.byteLength + AGGREGATED_PARTITION_KEY.length,
      };
    }
    this.#reset();
    return entry;
  }

  /** Drops everything held without emitting it (e.g. the shard closed; the caller re-routes). */
  drain(): T[] {
    const records = this.#records;
    this.#reset();
    return records;
  }

  #firstRecordHashKeyDecimal(): string {
    const first = this.#records[0]!;
    // A validated ExplicitHashKey is already the canonical decimal of its hash key.
    if (first.explicitHashKey !== undefined) return first.explicitHashKey;
    return hashKeyToDecimal(this.#firstHashKey ?? hashKeyOfPartitionKey(first.partitionKey));
  }

  #encode(): Buffer {
    const protobufBytes = this.#protobufBytes;
    const out = Buffer.allocUnsafe(KPL_FIXED_OVERHEAD_BYTES + protobufBytes);
    out.set(KPL_MAGIC, 0);
    let offset = KPL_MAGIC_BYTES;

    const partitionKeys = this.#partitionKeys;
    const partitionKeyBytes = this.#partitionKeyBytes;
    for (let i = 0; i < partitionKeys.length; i++) {
      out[offset++] = TAG_PARTITION_KEY_TABLE;
      offset = writeVarint(out, offset, partitionKeyBytes[i]!);
      offset += out.write(partitionKeys[i]!, offset, 'utf8');
    }
    const explicitHashKeys = this.#explicitHashKeys;
    for (let i = 0; i < explicitHashKeys.length; i++) {
      const key = explicitHashKeys[i]!;
      out[offset++] = TAG_EXPLICIT_HASH_KEY_TABLE;
      offset = writeVarint(out, offset, key.length);
      offset += out.write(key, offset, 'latin1');
    }
    const records = this.#records;
    const partitionKeyIndex = this.#partitionKeyIndex;
    const explicitHashKeyIndex = this.#explicitHashKeyIndex;
    for (let i = 0; i < records.length; i++) {
      const data = records[i]!.data;
      const pkIndex = partitionKeyIndex[i]!;
      const ehkIndex = explicitHashKeyIndex[i]!;
      out[offset++] = TAG_RECORDS;
      offset = writeVarint(out, offset, recordMessageBytes(pkIndex, ehkIndex, data.byteLength));
      out[offset++] = TAG_RECORD_PARTITION_KEY_INDEX;
      offset = writeVarint(out, offset, pkIndex);
      if (ehkIndex !== NO_EXPLICIT_HASH_KEY) {
        out[offset++] = TAG_RECORD_EXPLICIT_HASH_KEY_INDEX;
        offset = writeVarint(out, offset, ehkIndex);
      }
      out[offset++] = TAG_RECORD_DATA;
      offset = writeVarint(out, offset, data.byteLength);
      out.set(data, offset);
      offset += data.byteLength;
    }
    if (offset !== KPL_MAGIC_BYTES + protobufBytes) {
      // The incremental size and the encoder disagree: a bug, and the record would be corrupt.
      throw new Error(`Aggregator size accounting is wrong: encoded ${offset - KPL_MAGIC_BYTES} protobuf bytes, expected ${protobufBytes}.`);
    }
    md5(out.subarray(KPL_MAGIC_BYTES, offset)).copy(out, offset);
    return out;
  }

  #reset(): void {
    this.#records = [];
    this.#partitionKeyIndex = [];
    this.#explicitHashKeyIndex = [];
    this.#firstHashKey = undefined;
    this.#partitionKeyIndexByKey.clear();
    this.#partitionKeys = [];
    this.#partitionKeyBytes = [];
    this.#explicitHashKeyIndexByKey.clear();
    this.#explicitHashKeys = [];
    this.#protobufBytes = 0;
  }
}

/**
 * Packs records (all bound for one shard) in order into as few Kinesis records as the limits allow.
 * Convenience for callers that have a whole batch at hand; the pipeline uses {@link Aggregator}.
 */
export function aggregateRecords<T extends UserRecord>(records: Iterable<T>, options: AggregatorOptions = {}): KinesisEntry<T>[] {
  const aggregator = new Aggregator<T>(options);
  const entries: KinesisEntry<T>[] = [];
  for (const record of records) {
    if (!aggregator.tryAdd(record)) {
      entries.push(aggregator.flush()!);
      aggregator.tryAdd(record);
    }
  }
  const last = aggregator.flush();
  if (last) entries.push(last);
  return entries;
}

/** Size of one encoded `Record` message (without its own tag and length prefix). */
function recordMessageBytes(partitionKeyIndex: number, explicitHashKeyIndex: number, dataBytes: number): number {
  let size = 1 + varintSize(partitionKeyIndex) + 1 + varintSize(dataBytes) + dataBytes;
  if (explicitHashKeyIndex !== NO_EXPLICIT_HASH_KEY) size += 1 + varintSize(explicitHashKeyIndex);
  return size;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidInputError('AGGREGATION_OPTION_INVALID', `Aggregator option ${name} must be an integer of at least ${min}, got ${value}.`);
  }
}
