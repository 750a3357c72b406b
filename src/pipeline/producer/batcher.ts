/**
 * Builds one request (PutRecords or PutRecordBatch) from the lanes' entries, within every limit:
 * - at most `maxEntries` entries (500) and `maxRequestBytes` (data plus partition keys for Kinesis,
 *   as the backend counts them, reference/kds.md §2.3); filling stops at `targetRequestBytes`;
 * - entries are already built per lane (lanes.ts: a Kinesis lane of a known shard aggregates only
 *   its own records, §2.1); a lane's open aggregate is sealed and sent once the lane is due (its
 *   oldest record has lingered `lingerMs`, or flush/close forces it), full ones go at once;
 * - a per-shard token bucket (rate-limiter.ts) is asked before each entry; a refusal parks the lane
 *   until the bucket refills;
 * - with `keyOrder`, entries of one lane in one request never share a partition key, so a failed
 *   entry cannot be overtaken by a later entry of the same key that succeeded (per-key ordering).
 *
 * Entries are only removed from a lane once they are in the request.
 */
import type { ShardRateLimiter } from '../rate-limiter.js';
import type { SendEntry } from './entry.js';
import type { Lane, LaneSet } from './lanes.js';

export interface BatchLimits {
  readonly maxEntries: number;
  /** The service's request limit. */
  readonly maxRequestBytes: number;
  /**
   * Where we stop filling a request (at most maxRequestBytes). Smaller than the limit on purpose: a
   * 1 MiB PutRecords already carries thousands of aggregated records, and every request in flight
   * costs its entries and its encoded body in memory.
   */
  readonly targetRequestBytes: number;
  readonly lingerMs: number;
  /** Entries of one lane in one request never share a partition key. */
  readonly keyOrder: boolean;
  /** At most one request in flight per lane. */
  readonly oneInFlightPerLane: boolean;
}

export interface BuiltRequest {
  readonly entries: SendEntry[];
  /** User records inside. */
  readonly records: number;
  /** Bytes as the service counts them. */
  readonly bytes: number;
}

export interface BuildResult {
  /** Undefined when nothing can go now. */
  readonly request: BuiltRequest | undefined;
  /** The earliest clock ms at which a lane held back by time (linger, rate limit, backoff) can move. */
  readonly wakeAtMs: number;
}

export class Batcher {
  constructor(
    private readonly limits: BatchLimits,
    private readonly limiter: ShardRateLimiter | undefined,
  ) {}

  /** Entries of one lane in one request must not share a partition key (so entries must know theirs). */
  get keyOrder(): boolean {
    return this.limits.keyOrder;
  }

  /** `force`: flush or close is waiting, so every lane is due and open aggregates go too. */
  build(lanes: LaneSet, nowMs: number, force: boolean, generation: number): BuildResult {
    const limits = this.limits;
    const entries: SendEntry[] = [];
    let bytes = 0;
    let records = 0;
    let wakeAtMs = Number.POSITIVE_INFINITY;
    const order: Lane[] = [];
    for (const lane of lanes.all()) if (!lane.empty) order.push(lane);
    // Oldest first: a lane that has waited longest gets into the request before it fills up.
    if (order.length > 1) order.sort((a, b) => a.oldestQueuedAtMs! - b.oldestQueuedAtMs!);

    let requestFull = false;
    for (const lane of order) {
      if (requestFull) break;
      if (lane.notBeforeMs > nowMs) {
        wakeAtMs = Math.min(wakeAtMs, lane.notBeforeMs);
        continue;
      }
      if (limits.oneInFlightPerLane && lane.inFlight > 0) continue; // its completion wakes the sender
      const dueAtMs = lane.oldestQueuedAtMs! + limits.lingerMs;
      const due = force || nowMs >= dueAtMs;
      const keys = limits.keyOrder ? new Set<string>() : undefined;
      let taken = 0;
      let takenRecords = 0;
      let takenBytes = 0;
      for (;;) {
        let entry = lane.entries.at(taken);
        const builder = lane.builder;
        if (entry === undefined) {
          // Only the open aggregate is left: it goes once the lane is due, else it may still grow.
          if (builder === undefined || builder.count === 0) break;
          if (!due) {
            wakeAtMs = Math.min(wakeAtMs, dueAtMs);
            break;
          }
        }
        // Checked before an open aggregate is sealed, so one that cannot go now stays open and may still grow.
        const sizeBytes = entry !== undefined ? entry.sizeBytes : builder!.sizeBytes;
        if (entries.length >= limits.maxEntries || bytes + sizeBytes > (entries.length === 0 ? limits.maxRequestBytes : limits.targetRequestBytes)) {
          // Full. (A single entry always fits: options keep maxRecordBytes <= maxRequestBytes.)
          requestFull = true;
          break;
        }
        if (keys !== undefined && sharesKey(entry !== undefined ? (entry.partitionKeys ?? [entry.partitionKey]) : builder!.partitionKeys, keys)) break;
        const waitMs = this.limiter !== undefined && lane.shardId !== undefined ? this.limiter.tryTake(lane.shardId, 1, sizeBytes) : 0;
        if (waitMs > 0) {
          lane.notBeforeMs = nowMs + waitMs;
          wakeAtMs = Math.min(wakeAtMs, lane.notBeforeMs);
          break;
        }
        if (entry === undefined) {
          entry = builder!.seal(lane, generation)!;
          lane.entries.push(entry);
        }
        entries.push(entry);
        if (keys !== undefined) for (const key of entry.partitionKeys ?? [entry.partitionKey]) keys.add(key);
        bytes += sizeBytes;
        records += entry.count;
        taken += 1;
        takenRecords += entry.count;
        takenBytes += entry.recordBytes;
      }
      if (taken > 0) {
        lane.entries.take(taken);
        lanes.taken(takenRecords, takenBytes);
      }
    }
    return { request: entries.length === 0 ? undefined : { entries, records, bytes }, wakeAtMs };
  }
}

function sharesKey(entryKeys: readonly string[], keys: ReadonlySet<string>): boolean {
  for (const key of entryKeys) if (keys.has(key)) return true;
  return false;
}
