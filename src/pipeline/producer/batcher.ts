/**
 * Builds one request (PutRecords or PutRecordBatch) from the lanes, within every limit:
 * - at most `maxEntries` entries (500) and `maxRequestBytes` (data plus partition keys for Kinesis,
 *   as the backend counts them, reference/kds.md §2.3);
 * - Kinesis lanes of a known shard are KPL-aggregated per shard (one Aggregator per entry being
 *   built, so only records bound for the same shard share an aggregate, §2.1); the aggregate size is
 *   known exactly before it is encoded, so an entry that does not fit or is refused by the rate
 *   limiter costs no encoding;
 * - a per-shard token bucket (rate-limiter.ts) is asked before each entry; a refusal parks the lane
 *   until the bucket refills;
 * - an aggregate not yet full waits (linger) unless its lane is due;
 * - with `keyOrder`, entries of one lane in one request never share a partition key, so a failed
 *   entry cannot be overtaken by a later entry of the same key that succeeded (per-key ordering).
 *
 * Records are only removed from a lane once their entry is in the request.
 */
import { Aggregator } from '../aggregation/aggregator.js';
import type { ShardRateLimiter } from '../rate-limiter.js';
import type { Lane, LaneSet } from './lanes.js';
import type { PendingRecord } from './pending.js';
import type { SinkEntry } from './transport.js';

export interface BatchLimits {
  readonly maxEntries: number;
  /** The service's request limit. */
  readonly maxRequestBytes: number;
  /**
   * Where we stop filling a request (at most maxRequestBytes). Smaller than the limit on purpose: a
   * 1 MiB PutRecords already carries thousands of aggregated records, and every request in flight
   * costs several copies of itself in memory (aggregates, base64, JSON body, HTTP buffers).
   */
  readonly targetRequestBytes: number;
  /** KPL aggregation for lanes with a known shard. */
  readonly aggregate: boolean;
  readonly maxAggregateBytes: number;
  readonly maxAggregateRecords: number;
  readonly maxRecordBytes: number;
  readonly lingerMs: number;
  /** Entries of one lane in one request never share a partition key. */
  readonly keyOrder: boolean;
  /** At most one request in flight per lane. */
  readonly oneInFlightPerLane: boolean;
}

export interface BuiltEntry extends SinkEntry {
  readonly records: readonly PendingRecord[];
  readonly lane: Lane;
  readonly sizeBytes: number;
  readonly aggregated: boolean;
}

export interface BuiltRequest {
  readonly entries: BuiltEntry[];
  readonly records: number;
  readonly bytes: number;
}

export interface BuildResult {
  /** Undefined when nothing can go now. */
  readonly request: BuiltRequest | undefined;
  /** The earliest clock ms at which a lane held back by time (linger, rate limit, backoff) can move. */
  readonly wakeAtMs: number;
}

export class Batcher {
  readonly #aggregator: Aggregator<PendingRecord>;

  constructor(
    private readonly limits: BatchLimits,
    private readonly limiter: ShardRateLimiter | undefined,
  ) {
    this.#aggregator = new Aggregator<PendingRecord>({
      maxAggregateBytes: limits.maxAggregateBytes,
      maxRecordsPerAggregate: limits.maxAggregateRecords,
      maxRecordBytes: limits.maxRecordBytes,
    });
  }

  /** `force`: flush or close is waiting, so every lane is due and partial aggregates go too. */
  build(lanes: LaneSet, nowMs: number, force: boolean): BuildResult {
    const entries: BuiltEntry[] = [];
    let bytes = 0;
    let records = 0;
    let wakeAtMs = Number.POSITIVE_INFINITY;
    const order = [...lanes.all()].filter((lane) => lane.queue.length > 0);
    // Oldest first: a lane that has waited longest gets into the request before it fills up.
    order.sort((a, b) => a.oldestQueuedAtMs! - b.oldestQueuedAtMs!);

    let requestFull = false;
    for (const lane of order) {
      if (requestFull) break;
      if (lane.notBeforeMs > nowMs) {
        wakeAtMs = Math.min(wakeAtMs, lane.notBeforeMs);
        continue;
      }
      if (this.limits.oneInFlightPerLane && lane.inFlight > 0) continue; // its completion wakes the sender
      const dueAtMs = lane.oldestQueuedAtMs! + this.limits.lingerMs;
      const due = force || nowMs >= dueAtMs;
      if (!due) wakeAtMs = Math.min(wakeAtMs, dueAtMs);
      const keys = this.limits.keyOrder ? new Set<string>() : undefined;
      const aggregate = this.limits.aggregate && lane.shardId !== undefined;
      let index = 0;
      let laneBytes = 0;
      while (index < lane.queue.length) {
        if (entries.length >= this.limits.maxEntries) {
          requestFull = true;
          break;
        }
        const built = aggregate ? this.#nextAggregate(lane, index, keys, due) : this.#nextRaw(lane, index, keys);
        if (built === 'stop-lane') break;
        const { count, sizeBytes } = built;
        if (bytes + sizeBytes > (entries.length === 0 ? this.limits.maxRequestBytes : this.limits.targetRequestBytes)) {
          // Full. (A single entry always fits: options keep maxRecordBytes <= maxRequestBytes.)
          this.#aggregator.drain();
          requestFull = true;
          break;
        }
        const waitMs = this.limiter !== undefined && lane.shardId !== undefined ? this.limiter.tryTake(lane.shardId, 1, sizeBytes) : 0;
        if (waitMs > 0) {
          this.#aggregator.drain();
          lane.notBeforeMs = nowMs + waitMs;
          wakeAtMs = Math.min(wakeAtMs, lane.notBeforeMs);
          break;
        }
        const entry = aggregate ? this.#aggregateEntry(lane) : this.#rawEntry(lane, lane.queue.at(index)!);
        entries.push(entry);
        if (keys !== undefined) for (const record of entry.records) keys.add(record.partitionKey);
        bytes += sizeBytes;
        laneBytes += entry.records.reduce((sum, r) => sum + r.size, 0);
        records += count;
        index += count;
      }
      if (index > 0) {
        lane.queue.take(index);
        lanes.taken(index, laneBytes);
      }
    }
    return { request: entries.length === 0 ? undefined : { entries, records, bytes }, wakeAtMs };
  }

  /**
   * Fills the aggregator from the lane starting at `index`, without removing anything. Returns how
   * many records and bytes (data + partition key "a", or the single record's own key) the entry
   * would have, or 'stop-lane' if this lane has nothing (more) to give this request.
   */
  #nextAggregate(lane: Lane, index: number, keys: Set<string> | undefined, due: boolean): { count: number; sizeBytes: number } | 'stop-lane' {
    const aggregator = this.#aggregator;
    const queue = lane.queue;
    let j = index;
    let full = false;
    while (j < queue.length) {
      const record = queue.at(j)!;
      if (keys?.has(record.partitionKey)) {
        full = true;
        break;
      }
      if (!aggregator.tryAdd(record)) {
        full = true;
        break;
      }
      j += 1;
    }
    const count = j - index;
    // An aggregate that could still grow waits for its lane's linger time, unless forced.
    if (count === 0 || (!full && !due)) {
      aggregator.drain();
      return 'stop-lane';
    }
    const first = queue.at(index)!;
    const partitionKeyBytes = count === 1 ? first.size - first.data.byteLength : 1;
    return { count, sizeBytes: aggregator.sizeBytes + partitionKeyBytes };
  }

  #nextRaw(lane: Lane, index: number, keys: Set<string> | undefined): { count: number; sizeBytes: number } | 'stop-lane' {
    const record = lane.queue.at(index)!;
    if (keys?.has(record.partitionKey)) return 'stop-lane';
    return { count: 1, sizeBytes: record.size };
  }

  #aggregateEntry(lane: Lane): BuiltEntry {
    const kinesis = this.#aggregator.flush()!;
    return {
      data: kinesis.data,
      partitionKey: kinesis.partitionKey,
      explicitHashKey: kinesis.explicitHashKey,
      records: kinesis.userRecords,
      lane,
      sizeBytes: kinesis.sizeBytes,
      aggregated: kinesis.isAggregated,
    };
  }

  #rawEntry(lane: Lane, record: PendingRecord): BuiltEntry {
    return {
      data: record.data,
      partitionKey: record.partitionKey,
      explicitHashKey: record.explicitHashKey,
      records: [record],
      lane,
      sizeBytes: record.size,
      aggregated: false,
    };
  }
}
