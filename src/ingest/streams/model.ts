/** The in-memory state of the local Kinesis Data Streams target. Persistence mirrors it (persistence.ts). */
import { shardIdOf, sequencePrefix, formatSequenceNumber } from './sequence-number.js';
import { hashKeyFromBigInt } from '../../pipeline/aggregation/hash-key.js';

export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';
export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export interface StoredRecord {
  /** Position in the shard: 1, 2, 3, ... (sequence-number.ts); the sequence number is derived from it. */
  readonly counter: number;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /**
   * The buffer holding the data at `[offset, offset + length)`: the request's journal frame (or the replayed
   * entry), shared by all records of the batch. Keeping offsets instead of a view per record saves an object
   * per record on the hot path and in the heap.
   */
  readonly block: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly arrivalMs: number;
  /** Bytes this record takes in the journal, counted as dead once it is trimmed (drives compaction). */
  readonly journalBytes: number;
}

/** Per-shard throughput windows (one-second windows on the injected clock). */
export interface ShardTraffic {
  writeSecond: number;
  writeBytes: number;
  writeRecords: number;
  readSecond: number;
  readCalls: number;
  /** Reads are throttled while the bytes already returned exceed what 2 MiB/s would have allowed by now. */
  readBytesPaidUntilMs: number;
  iteratorSecond: number;
  iteratorCalls: number;
}

export class Shard {
  readonly id: string;
  readonly sequencePrefix: string;
  readonly startKey: Buffer;
  readonly endKey: Buffer;
  /** Records not yet trimmed are `records[head..]`; the array is compacted once the dead prefix dominates. */
  records: StoredRecord[] = [];
  head = 0;
  closedMs: number | undefined;
  /** Set when the shard is closed: the counter its next record would have had. */
  endingCounter: number | undefined;
  readonly traffic: ShardTraffic = {
    writeSecond: -1, writeBytes: 0, writeRecords: 0,
    readSecond: -1, readCalls: 0, readBytesPaidUntilMs: 0,
    iteratorSecond: -1, iteratorCalls: 0,
  };

  constructor(
    readonly index: number,
    readonly startHash: bigint,
    readonly endHash: bigint,
    readonly createdMs: number,
    /** The counter the next record gets; 0 is the shard's StartingSequenceNumber. */
    public nextCounter: number,
    readonly parentIndex?: number,
    readonly adjacentParentIndex?: number,
  ) {
    this.id = shardIdOf(index);
    this.sequencePrefix = sequencePrefix(index);
    this.startKey = hashKeyFromBigInt(startHash);
    this.endKey = hashKeyFromBigInt(endHash);
  }

  get isOpen(): boolean {
    return this.closedMs === undefined;
  }

  get liveCount(): number {
    return this.records.length - this.head;
  }

  /** The counter of the oldest record still kept (or the next counter if none are). */
  get firstLiveCounter(): number {
    return this.head < this.records.length ? this.records[this.head]!.counter : this.nextCounter;
  }

  sequenceNumberOf(record: StoredRecord): string {
    return formatSequenceNumber(this.sequencePrefix, record.counter);
  }

  startingSequenceNumber(): string {
    return formatSequenceNumber(this.sequencePrefix, 0);
  }

  endingSequenceNumber(): string | undefined {
    return this.endingCounter === undefined ? undefined : formatSequenceNumber(this.sequencePrefix, this.endingCounter);
  }

  /** Index into `records` of the first record with counter >= `counter` (binary search). */
  indexAtCounter(counter: number): number {
    let lo = this.head;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.counter < counter) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first record that arrived at or after `ms`; arrival times are kept monotonic per shard. */
  indexAtArrival(ms: number): number {
    let lo = this.head;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.arrivalMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops records that arrived before `cutoffMs`; returns the journal bytes they took. */
  trimBefore(cutoffMs: number): number {
    let dead = 0;
    const records = this.records;
    let head = this.head;
    while (head < records.length && records[head]!.arrivalMs < cutoffMs) {
      dead += records[head]!.journalBytes;
      head++;
    }
    this.head = head;
    // Compact the array lazily so trimming stays O(1) per record without shift().
    if (head > 1024 && head * 2 > records.length) {
      this.records = records.slice(head);
      this.head = 0;
    }
    return dead;
  }

  /** Drops records with counter < `counter` (replay of an eager trim). */
  trimBelowCounter(counter: number): void {
    let head = this.head;
    while (head < this.records.length && this.records[head]!.counter < counter) head++;
    this.head = head;
  }

  lastArrivalMs(): number {
    return this.records.length > this.head ? this.records[this.records.length - 1]!.arrivalMs : -Infinity;
  }
}

export class Stream {
  readonly arn: string;
  readonly shards: Shard[] = [];
  /** Open shards sorted by starting hash key, for routing. Rebuilt after every reshard. */
  openShards: Shard[] = [];
  readonly tags = new Map<string, string>();
  /** CREATING until then (the injected clock decides). */
  activeFromMs: number;
  /** UPDATING until then, after a reshard or mode change. */
  updatingUntilMs = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly region: string,
    readonly accountId: string,
    readonly createdMs: number,
    public mode: StreamMode,
    public retentionHours: number,
    activeFromMs: number,
  ) {
    this.arn = `arn:aws:kinesis:${region}:${accountId}:stream/${name}`;
    this.activeFromMs = activeFromMs;
  }

  status(nowMs: number): StreamStatus {
    if (nowMs < this.activeFromMs) return 'CREATING';
    if (nowMs < this.updatingUntilMs) return 'UPDATING';
    return 'ACTIVE';
  }

  get retentionMs(): number {
    return this.retentionHours * 3_600_000;
  }

  addShard(shard: Shard): void {
    this.shards[shard.index] = shard;
  }

  reindexOpenShards(): void {
    this.openShards = this.shards.filter((s) => s !== undefined && s.isOpen).sort((a, b) => Buffer.compare(a.startKey, b.startKey));
  }

  /** The open shard whose hash key range holds `key` (16-byte big-endian). Open ranges always cover the key space. */
  shardForHashKey(key: Buffer): Shard {
    const open = this.openShards;
    let lo = 0;
    let hi = open.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (Buffer.compare(open[mid]!.startKey, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return open[lo]!;
  }

  /** Shards still listed: open ones and closed ones whose data may still be within retention. */
  visibleShards(nowMs: number): Shard[] {
    const horizon = nowMs - this.retentionMs;
    return this.shards.filter((s) => s !== undefined && (s.closedMs === undefined || s.closedMs >= horizon));
  }

  childrenOf(shard: Shard): Shard[] {
    return this.shards.filter((s) => s !== undefined && (s.parentIndex === shard.index || s.adjacentParentIndex === shard.index));
  }
}
