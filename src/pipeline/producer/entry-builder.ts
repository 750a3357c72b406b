/**
 * Turns user records into entries (entry.ts) as they are read: an aggregating lane feeds its records
 * into one open KPL aggregate (aggregation/aggregate-builder.ts) and seals it when the next record
 * would not fit, or when the request builder wants it (linger, flush); any other lane makes one entry
 * per record at once. Either way the record's bytes are copied out of the spool's read buffer, so
 * that buffer is garbage as soon as the read is done.
 */
import { AggregateBuilder, type AggregateBuilderOptions } from '../aggregation/aggregate-builder.js';
import type { BufferRecycler } from './buffer-recycler.js';
import type { SendEntry } from './entry.js';
import type { Lane } from './lanes.js';

/** One user record, as its bytes and the few numbers the sender keeps of it. */
export interface RecordFields {
  /** Routing may swap in an equal string it already holds. */
  partitionKey: string;
  /** UTF-8 bytes of the partition key (0 for Firehose). */
  readonly partitionKeyBytes: number;
  readonly explicitHashKey: string | undefined;
  readonly seq: number;
  readonly acceptedAtMs: number;
  /** Bytes the service counts: data plus partition key (Kinesis), or data (Firehose). */
  readonly size: number;
}

const INITIAL_RECORDS = 256;

export class EntryBuilder {
  readonly #aggregate: AggregateBuilder;
  #seqs = new Float64Array(INITIAL_RECORDS);
  #accepted = new Float64Array(INITIAL_RECORDS);
  #recordBytes = 0;
  #queuedAtMs = 0;
  #attempts = 0;

  readonly #allocate: ((bytes: number) => Buffer) | undefined;

  constructor(
    options: AggregateBuilderOptions,
    /** Keep each entry's partition keys (per-key ordering compares them); otherwise entries carry none. */
    private readonly keepKeys: boolean,
    /** Where aggregates' bytes come from (and go back to once delivered). */
    recycler?: BufferRecycler,
  ) {
    this.#aggregate = new AggregateBuilder(options);
    this.#allocate = recycler !== undefined ? (bytes) => recycler.take(bytes) : undefined;
  }

  get count(): number {
    return this.#aggregate.count;
  }

  /** When the first record held entered (clock ms). */
  get queuedAtMs(): number {
    return this.#queuedAtMs;
  }

  /** Sum of the held records' sizes. */
  get recordBytes(): number {
    return this.#recordBytes;
  }

  /** The distinct partition keys held so far. */
  get partitionKeys(): readonly string[] {
    return this.#aggregate.partitionKeys;
  }

  /** The sealed entry's size as the service counts it. */
  get sizeBytes(): number {
    return this.#aggregate.sizeBytes;
  }

  /** Adds the record whose data is `source[start, end)`; false if the open aggregate is full (seal, then add). */
  tryAdd(record: RecordFields, source: Uint8Array, start: number, end: number, queuedAtMs: number, attempts: number): boolean {
    const n = this.#aggregate.count;
    if (!this.#aggregate.tryAdd(record.partitionKey, record.partitionKeyBytes, record.explicitHashKey, source, start, end)) return false;
    if (n === this.#seqs.length) this.#grow();
    this.#seqs[n] = record.seq;
    this.#accepted[n] = record.acceptedAtMs;
    this.#recordBytes += record.size;
    if (n === 0 || queuedAtMs < this.#queuedAtMs) this.#queuedAtMs = queuedAtMs;
    if (attempts > this.#attempts) this.#attempts = attempts;
    return true;
  }

  /** The held records as one entry (empties the builder); undefined if empty. */
  seal(lane: Lane, generation: number): SendEntry | undefined {
    const n = this.#aggregate.count;
    const sealed = this.#aggregate.seal(this.keepKeys, this.#allocate);
    if (sealed === undefined) return undefined;
    const meta = new Float64Array(2 * n);
    meta.set(this.#seqs.subarray(0, n), 0);
    meta.set(this.#accepted.subarray(0, n), n);
    const entry: SendEntry = {
      data: sealed.data,
      partitionKey: sealed.partitionKey,
      explicitHashKey: sealed.explicitHashKey,
      sizeBytes: sealed.sizeBytes,
      aggregated: sealed.isAggregated,
      count: n,
      recordBytes: this.#recordBytes,
      meta,
      partitionKeys: sealed.partitionKeys,
      lane,
      generation,
      queuedAtMs: this.#queuedAtMs,
      attempts: this.#attempts,
    };
    this.#recordBytes = 0;
    this.#attempts = 0;
    return entry;
  }

  #grow(): void {
    const seqs = new Float64Array(this.#seqs.length * 2);
    seqs.set(this.#seqs);
    const accepted = new Float64Array(this.#accepted.length * 2);
    accepted.set(this.#accepted);
    this.#seqs = seqs;
    this.#accepted = accepted;
  }
}

/** An entry of one record, sent as it is (no shard map yet, aggregation off, or Firehose). Copies the data. */
export function singleEntry(record: RecordFields, source: Uint8Array, start: number, end: number, lane: Lane, generation: number, queuedAtMs: number, attempts: number): SendEntry {
  const data = Buffer.allocUnsafe(end - start);
  data.set(new Uint8Array(source.buffer, source.byteOffset + start, end - start), 0);
  const meta = new Float64Array(2);
  meta[0] = record.seq;
  meta[1] = record.acceptedAtMs;
  return {
    data,
    partitionKey: record.partitionKey,
    explicitHashKey: record.explicitHashKey,
    sizeBytes: data.length + record.partitionKeyBytes,
    aggregated: false,
    count: 1,
    recordBytes: record.size,
    meta,
    partitionKeys: undefined,
    lane,
    generation,
    queuedAtMs,
    attempts,
  };
}
