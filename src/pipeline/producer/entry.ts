/**
 * What the sender holds between reading records from the spool and settling them: entries, one per
 * Kinesis/Firehose record it will send (a KPL aggregate of many user records, or one user record),
 * built as the records are read (entry-builder.ts). An entry keeps its user records as bytes (the
 * aggregate) and two numbers each (seq, acceptedAtMs) in one Float64Array, never as an object per
 * record: a backlog drains with a few hundred live objects, not tens of thousands that V8 would
 * promote through its young generation (and grow it for) on every scavenge.
 *
 * Per-record objects (PendingRecord) appear only on rare paths: dead letters, a record TTL, and
 * routing an entry's records again after the shard map changed.
 */
import { deaggregate } from '../aggregation/deaggregate.js';
import type { Lane } from './lanes.js';
import type { PendingRecord } from './pending.js';
import type { SinkEntry } from './transport.js';

export interface SendEntry extends SinkEntry {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Bytes the service counts against record and request limits: data plus UTF-8 partition key. */
  readonly sizeBytes: number;
  /** True when `data` is a KPL aggregate. */
  readonly aggregated: boolean;
  /** User records inside. */
  readonly count: number;
  /** Sum of the user records' sizes (data plus key, as put() measured them): the read-ahead accounting. */
  readonly recordBytes: number;
  /** `[seq_0 … seq_n-1, acceptedAtMs_0 … acceptedAtMs_n-1]` of the user records, in order. */
  readonly meta: Float64Array;
  /**
   * The distinct partition keys inside, kept only for per-key ordering (which compares them); undefined
   * otherwise, and for a single record (its own key).
   */
  readonly partitionKeys: readonly string[] | undefined;
  /** The lane (predicted shard) it was built for. */
  readonly lane: Lane;
  /** The shard map generation its records were routed by. */
  readonly generation: number;
  /** When its oldest record entered a lane (clock ms), for the linger time. */
  readonly queuedAtMs: number;
  /** Send attempts so far. */
  attempts: number;
}

export function firstSeq(entry: SendEntry): number {
  return entry.meta[0]!;
}

/** The entry's user records as objects (rare paths only: dead letters, TTL, re-routing). */
export function entryRecords(entry: SendEntry, countKeyBytes: boolean): PendingRecord[] {
  const n = entry.count;
  const meta = entry.meta;
  const users = entry.aggregated
    ? deaggregate(entry)
    : [{ data: entry.data, partitionKey: entry.partitionKey, explicitHashKey: entry.explicitHashKey }];
  if (users.length !== n) throw new Error(`An entry of ${n} records decoded into ${users.length}: a bug in the aggregate builder.`);
  const records = new Array<PendingRecord>(n);
  for (let i = 0; i < n; i++) {
    const user = users[i]!;
    records[i] = {
      seq: meta[i]!,
      data: user.data,
      partitionKey: user.partitionKey,
      explicitHashKey: user.explicitHashKey,
      size: user.data.byteLength + (countKeyBytes ? Buffer.byteLength(user.partitionKey) : 0),
      acceptedAtMs: meta[n + i]!,
      attempts: entry.attempts,
      queuedAtMs: entry.queuedAtMs,
    };
  }
  return records;
}

/**
 * A FIFO of entries with cheap removal at the head (an index, compacted now and then) and a front
 * insertion for retries that keeps the lane in seq order.
 */
export class EntryQueue {
  #items: (SendEntry | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The i-th entry from the head (0 = oldest). */
  at(index: number): SendEntry | undefined {
    return this.#items[this.#head + index];
  }

  push(entry: SendEntry): void {
    this.#items.push(entry);
  }

  /** Removes and returns the first `count` entries. */
  take(count: number): SendEntry[] {
    const items = this.#items;
    const end = this.#head + count;
    const taken = items.slice(this.#head, end) as SendEntry[];
    // Let go of them at once: an entry holds up to an aggregate's worth of bytes.
    items.fill(undefined, this.#head, end);
    this.#head = end;
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Puts entries back before the others, keeping seq order (retries go out before newer entries). */
  unshiftSorted(entries: readonly SendEntry[]): void {
    if (entries.length === 0) return;
    const sorted = [...entries].sort((a, b) => firstSeq(a) - firstSeq(b));
    const rest = this.#items.slice(this.#head) as SendEntry[];
    this.#head = 0;
    // The common case: every retried entry is older than everything queued.
    if (rest.length === 0 || firstSeq(sorted[sorted.length - 1]!) < firstSeq(rest[0]!)) {
      this.#items = sorted.concat(rest);
      return;
    }
    const out: (SendEntry | undefined)[] = [];
    let i = 0;
    let j = 0;
    while (i < sorted.length && j < rest.length) out.push(firstSeq(sorted[i]!) <= firstSeq(rest[j]!) ? sorted[i++]! : rest[j++]!);
    while (i < sorted.length) out.push(sorted[i++]!);
    while (j < rest.length) out.push(rest[j++]!);
    this.#items = out;
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): SendEntry[] {
    const all = this.#items.slice(this.#head) as SendEntry[];
    this.#items = [];
    this.#head = 0;
    return all;
  }
}
