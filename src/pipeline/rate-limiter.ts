/**
 * Per-shard write rate limiter: two token buckets per shard (records and bytes), refilled with
 * time on an injected clock, plus AIMD adaptation when the shard throttles us.
 *
 * Defaults follow KPL (reference/kds.md §2.4), with one addition:
 * - Rate 150% of the shard limits (1,000 records/s and 1 MiB/s), KPL's RateLimit default, "to allow
 *   shard saturation from a single producer". The limiter is a politeness cap that keeps one
 *   device from hammering a shard; the service enforces the real limit over its own windows, and
 *   a cap at exactly 100% would leave capacity unused whenever our clock and theirs disagree.
 * - Buckets start empty, as in KPL: after a power cut, a fleet of devices rebooting together does
 *   not open with a synchronized burst.
 * - Capacity is one second of the shard limit (but never less than one maximum-size record, so any
 *   valid record can pass; KPL raised its byte bucket to 10 MiB for the same reason).
 * - Addition: KPL's limiter ignores throttling (`add_error()` is a TODO). Ours, on a
 *   ProvisionedThroughputExceeded for a shard, multiplies that shard's rate down (×0.5, at most once
 *   per cooldown, since one response often reports many throttled entries for the same overload)
 *   and recovers additively with time (+10 points of the shard limit per second) up to the
 *   configured rate. Several producers writing to one shard thus converge on a fair share instead
 *   of each pushing 150%.
 *
 * Coarse by design: `tryTake` answers how long to wait; the caller waits on its own single timer.
 * No per-record timers.
 */
import type { Clock } from '../core/clock.js';
import { KDS_RECORD_MAX_BYTES, KDS_SHARD_WRITE_BYTES_PER_SECOND, KDS_SHARD_WRITE_RECORDS_PER_SECOND } from '../core/limits.js';

export interface ShardRateLimiterOptions {
  readonly clock: Clock;
  /** Refill rate as a percentage of the shard limits (KPL RateLimit, default 150). */
  readonly ratePercent?: number;
  readonly shardRecordsPerSecond?: number;
  readonly shardBytesPerSecond?: number;
  /** Largest record that must be able to pass (the stream's MaxRecordSize). */
  readonly maxRecordBytes?: number;
  /** Multiplies a shard's rate on a throttle (default 0.5). */
  readonly throttleDecreaseFactor?: number;
  /** The rate never drops below this percentage of the shard limits (default 10). */
  readonly minRatePercent?: number;
  /** Percentage points of the shard limits regained per second without throttles (default 10). */
  readonly recoveryPercentPerSecond?: number;
  /** Throttles closer together than this count as one decrease (default 1,000 ms). */
  readonly throttleCooldownMs?: number;
}

export const RATE_LIMITER_DEFAULTS = Object.freeze({
  ratePercent: 150,
  throttleDecreaseFactor: 0.5,
  minRatePercent: 10,
  recoveryPercentPerSecond: 10,
  throttleCooldownMs: 1000,
});

interface ShardBuckets {
  records: number;
  bytes: number;
  ratePercent: number;
  updatedAtMs: number;
  lastDecreaseAtMs: number;
}

export class ShardRateLimiter {
  readonly #clock: Clock;
  readonly #maxRatePercent: number;
  readonly #minRatePercent: number;
  readonly #recordsPerSecondAt100: number;
  readonly #bytesPerSecondAt100: number;
  readonly #recordsCapacity: number;
  readonly #bytesCapacity: number;
  readonly #decreaseFactor: number;
  readonly #recoveryPercentPerMs: number;
  readonly #cooldownMs: number;
  readonly #shards = new Map<string, ShardBuckets>();

  constructor(options: ShardRateLimiterOptions) {
    this.#clock = options.clock;
    this.#maxRatePercent = options.ratePercent ?? RATE_LIMITER_DEFAULTS.ratePercent;
    this.#minRatePercent = Math.min(options.minRatePercent ?? RATE_LIMITER_DEFAULTS.minRatePercent, this.#maxRatePercent);
    this.#recordsPerSecondAt100 = options.shardRecordsPerSecond ?? KDS_SHARD_WRITE_RECORDS_PER_SECOND;
    this.#bytesPerSecondAt100 = options.shardBytesPerSecond ?? KDS_SHARD_WRITE_BYTES_PER_SECOND;
    this.#recordsCapacity = this.#recordsPerSecondAt100;
    this.#bytesCapacity = Math.max(this.#bytesPerSecondAt100, options.maxRecordBytes ?? KDS_RECORD_MAX_BYTES);
    this.#decreaseFactor = options.throttleDecreaseFactor ?? RATE_LIMITER_DEFAULTS.throttleDecreaseFactor;
    this.#recoveryPercentPerMs = (options.recoveryPercentPerSecond ?? RATE_LIMITER_DEFAULTS.recoveryPercentPerSecond) / 1000;
    this.#cooldownMs = options.throttleCooldownMs ?? RATE_LIMITER_DEFAULTS.throttleCooldownMs;
  }

  /**
   * Takes `records` and `bytes` from the shard's buckets and returns 0, or takes nothing and
   * returns the milliseconds after which the same request would pass (if nothing else is taken
   * meanwhile). A request larger than a bucket passes once that bucket is full, leaving it in debt.
   */
  tryTake(shardId: string, records: number, bytes: number): number {
    const shard = this.#refilled(shardId);
    const needRecords = Math.min(records, this.#recordsCapacity);
    const needBytes = Math.min(bytes, this.#bytesCapacity);
    if (shard.records >= needRecords && shard.bytes >= needBytes) {
      shard.records -= records;
      shard.bytes -= bytes;
      return 0;
    }
    const fraction = shard.ratePercent / 100;
    const recordsPerMs = (this.#recordsPerSecondAt100 * fraction) / 1000;
    const bytesPerMs = (this.#bytesPerSecondAt100 * fraction) / 1000;
    const waitRecordsMs = shard.records >= needRecords ? 0 : (needRecords - shard.records) / recordsPerMs;
    const waitBytesMs = shard.bytes >= needBytes ? 0 : (needBytes - shard.bytes) / bytesPerMs;
    return Math.max(1, Math.ceil(Math.max(waitRecordsMs, waitBytesMs)));
  }

  /** The shard reported ProvisionedThroughputExceeded: slow down (multiplicative decrease). */
  onThrottled(shardId: string): void {
    const shard = this.#refilled(shardId);
    const now = shard.updatedAtMs;
    if (now - shard.lastDecreaseAtMs < this.#cooldownMs) return;
    shard.lastDecreaseAtMs = now;
    shard.ratePercent = Math.max(this.#minRatePercent, shard.ratePercent * this.#decreaseFactor);
  }

  /** The shard's current refill rate as a percentage of the shard limits. */
  ratePercent(shardId: string): number {
    return this.#refilled(shardId).ratePercent;
  }

  /** Drops the state of shards not in `shardIds` (e.g. closed by a reshard). */
  retainOnly(shardIds: Iterable<string>): void {
    const keep = new Set(shardIds);
    for (const shardId of this.#shards.keys()) if (!keep.has(shardId)) this.#shards.delete(shardId);
  }

  #refilled(shardId: string): ShardBuckets {
    const now = this.#clock.now();
    let shard = this.#shards.get(shardId);
    if (shard === undefined) {
      shard = {
        records: 0,
        bytes: 0,
        ratePercent: this.#maxRatePercent,
        updatedAtMs: now,
        lastDecreaseAtMs: Number.NEGATIVE_INFINITY,
      };
      this.#shards.set(shardId, shard);
      return shard;
    }
    const elapsedMs = now - shard.updatedAtMs;
    if (elapsedMs <= 0) return shard;
    const fraction = shard.ratePercent / 100;
    shard.records = Math.min(this.#recordsCapacity, shard.records + (elapsedMs * this.#recordsPerSecondAt100 * fraction) / 1000);
    shard.bytes = Math.min(this.#bytesCapacity, shard.bytes + (elapsedMs * this.#bytesPerSecondAt100 * fraction) / 1000);
    // Additive increase, applied after the refill at the old rate (coarse, and on the safe side).
    shard.ratePercent = Math.min(this.#maxRatePercent, shard.ratePercent + elapsedMs * this.#recoveryPercentPerMs);
    shard.updatedAtMs = now;
    return shard;
  }
}
