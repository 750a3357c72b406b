/**
 * Packs user records bound for ONE shard into Kinesis records in the KPL aggregated format
 * (format.ts, reference/kds.md §2.1 and §2.3), for callers that hold record objects: tests, tools,
 * a whole batch at hand (`aggregateRecords`). Keep one Aggregator per predicted shard: KCL drops
 * sub-records whose hash key is outside the shard that received the aggregate.
 *
 * The encoding is AggregateBuilder's (one implementation of the format): each record's bytes are
 * encoded as it is added, sizes are exact and incremental, and `sizeBytes` always equals what
 * `flush()` will produce. This class adds only the bookkeeping of which records went where.
 */
import { AggregateBuilder } from './aggregate-builder.js';
import { type HashKey, hashKeyToDecimal } from './hash-key.js';

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

export class Aggregator<T extends UserRecord = UserRecord> {
  readonly #builder: AggregateBuilder;
  #records: T[] = [];
  /** The first record's hash key when the caller computed it (spares nothing now, but it decides the route). */
  #firstHashKey: HashKey | undefined;

  constructor(options: AggregatorOptions = {}) {
    this.#builder = new AggregateBuilder(options);
  }

  /** User records held. */
  get count(): number {
    return this.#records.length;
  }

  /** Exact byte length of the `data` that {@link flush} would return now. */
  get sizeBytes(): number {
    return this.#builder.dataBytes;
  }

  /**
   * Adds the record if the aggregate stays within the limits; returns false (and changes nothing)
   * if it would not, in which case the caller flushes and adds it to the next aggregate. An empty
   * aggregator always takes the record: alone, it goes out raw.
   *
   * `hashKey` is the record's hash key if the caller already computed it (to pick the shard); when
   * this record is the first of an aggregate, the aggregate is routed by it.
   */
  tryAdd(record: T, hashKey?: HashKey): boolean {
    const { partitionKey, data } = record;
    if (!this.#builder.tryAdd(partitionKey, Buffer.byteLength(partitionKey, 'utf8'), record.explicitHashKey, data, 0, data.byteLength)) return false;
    if (this.#records.length === 0) this.#firstHashKey = hashKey;
    this.#records.push(record);
    return true;
  }

  /** Emits the held records as one Kinesis record and empties the aggregator; undefined if empty. */
  flush(): KinesisEntry<T> | undefined {
    const sealed = this.#builder.seal();
    if (sealed === undefined) return undefined;
    const records = this.#records;
    const first = records[0]!;
    const routedBy = sealed.isAggregated && first.explicitHashKey === undefined && this.#firstHashKey !== undefined ? hashKeyToDecimal(this.#firstHashKey) : sealed.explicitHashKey;
    this.#reset();
    return {
      // A single record goes out raw: the caller's own bytes.
      data: sealed.isAggregated ? sealed.data : first.data,
      partitionKey: sealed.partitionKey,
      explicitHashKey: routedBy,
      userRecords: records,
      isAggregated: sealed.isAggregated,
      sizeBytes: sealed.sizeBytes,
    };
  }

  /** Drops everything held without emitting it (e.g. the shard closed; the caller re-routes). */
  drain(): T[] {
    const records = this.#records;
    this.#builder.seal();
    this.#reset();
    return records;
  }

  #reset(): void {
    this.#records = [];
    this.#firstHashKey = undefined;
  }
}

/**
 * Packs records (all bound for one shard) in order into as few Kinesis records as the limits allow.
 * Convenience for callers that have a whole batch at hand; the pipeline uses {@link AggregateBuilder} directly.
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
