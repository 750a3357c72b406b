/**
 * The request builder on its own, with the lanes that pack records into entries as they arrive:
 * limits, per-shard aggregation, linger, the rate limiter, and key-disjoint entries for per-key ordering.
 */
import { describe, expect, it } from 'vitest';
import { ShardRateLimiter } from '../../../src/pipeline/rate-limiter.js';
import { Batcher, type BatchLimits } from '../../../src/pipeline/producer/batcher.js';
import { LaneSet, type Router } from '../../../src/pipeline/producer/lanes.js';
import { deaggregate } from '../../../src/pipeline/aggregation/deaggregate.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const limits: BatchLimits = {
  maxEntries: 500,
  maxRequestBytes: 5 * 1024 * 1024,
  targetRequestBytes: 5 * 1024 * 1024,
  lingerMs: 100,
  keyOrder: false,
  oneInFlightPerLane: false,
};
const aggregation = { maxAggregateBytes: 51_200, maxRecordsPerAggregate: 4_294_967_295, maxRecordBytes: 1024 * 1024 };

/** Routes by the key's first letter: k… to shard-0, j… to shard-1. */
const router: Router = {
  route: (key) => ({ key, choice: key.startsWith('j') ? { key: 'shard-1', shardId: 'shard-1' } : { key: 'shard-0', shardId: 'shard-0' } }),
};

let seq = 0;
/** Puts records of `bytes` bytes with these keys into the lanes (as the sender does with what it reads). */
function fill(lanes: LaneSet, keys: readonly string[], bytes: number, queuedAtMs = 0): void {
  for (const partitionKey of keys) {
    seq += 1;
    const data = Buffer.alloc(bytes, seq % 256);
    const partitionKeyBytes = Buffer.byteLength(partitionKey);
    lanes.add({ partitionKey, partitionKeyBytes, explicitHashKey: undefined, seq, acceptedAtMs: 0, size: bytes + partitionKeyBytes }, data, 0, bytes, 0, queuedAtMs);
  }
}

const keys = (n: number, key: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => key(i));

describe('Batcher', () => {
  it('packs a shard lane into KPL aggregates no larger than maxAggregateBytes, each holding only that lane', () => {
    const lanes = new LaneSet(router, aggregation);
    fill(lanes, keys(1000, (i) => `k${i % 20}`), 200);
    fill(lanes, keys(10, (i) => `j${i}`), 200);
    const { request } = new Batcher(limits, undefined).build(lanes, 1000, true, 0);
    expect(request).toBeDefined();
    const byLane = new Map<string, number>();
    for (const entry of request!.entries) {
      expect(entry.data.length).toBeLessThanOrEqual(51_200);
      expect(entry.sizeBytes).toBe(entry.data.length + Buffer.byteLength(entry.partitionKey));
      const users = deaggregate(entry);
      expect(users.length).toBe(entry.count);
      expect(users.every((r) => r.partitionKey.startsWith(entry.lane.key === 'shard-0' ? 'k' : 'j'))).toBe(true);
      byLane.set(entry.lane.key, (byLane.get(entry.lane.key) ?? 0) + entry.count);
    }
    expect(byLane).toEqual(new Map([['shard-0', 1000], ['shard-1', 10]]));
    expect(lanes.records).toBe(0);
    expect(request!.records).toBe(1010);
  });

  it('keeps every record\'s seq and bytes, in order, in the entries it builds', () => {
    const lanes = new LaneSet(router, aggregation);
    const first = seq + 1;
    fill(lanes, keys(700, (i) => `k${i % 7}`), 150);
    const { request } = new Batcher(limits, undefined).build(lanes, 0, true, 0);
    const seqs: number[] = [];
    for (const entry of request!.entries) {
      const users = deaggregate(entry);
      for (let i = 0; i < entry.count; i++) {
        seqs.push(entry.meta[i]!);
        // fill() writes seq % 256 into every byte of a record.
        expect(users[i]!.data.every((b) => b === entry.meta[i]! % 256)).toBe(true);
      }
    }
    expect(seqs).toEqual(keys(700, (i) => String(first + i)).map(Number));
  });

  it('holds a partial aggregate back until its lane has lingered, but sends full ones at once', () => {
    const lanes = new LaneSet(router, aggregation);
    fill(lanes, keys(300, () => 'k'), 200, 1000);
    const batcher = new Batcher(limits, undefined);
    const early = batcher.build(lanes, 1050, false, 0);
    // 300 × ~204 B: one full aggregate (~50 KiB) goes, the rest waits for the linger deadline.
    expect(early.request!.entries).toHaveLength(1);
    expect(early.wakeAtMs).toBe(1100);
    const rest = lanes.records;
    expect(rest).toBeGreaterThan(0);
    const late = batcher.build(lanes, 1100, false, 0);
    expect(late.request!.records).toBe(rest);
  });

  it('stops a lane when its shard bucket is empty and says when it refills', () => {
    const clock = new ManualClock(0);
    const limiter = new ShardRateLimiter({ clock, ratePercent: 100 });
    const lanes = new LaneSet(router, undefined);
    fill(lanes, keys(10, () => 'k'), 1000);
    const batcher = new Batcher(limits, limiter);
    const first = batcher.build(lanes, clock.now(), true, 0);
    // Buckets start empty (KPL): nothing may go yet, and the wake-up is when one record's worth has refilled.
    expect(first.request).toBeUndefined();
    expect(first.wakeAtMs).toBeGreaterThan(0);
    clock.advance(first.wakeAtMs);
    const second = batcher.build(lanes, clock.now(), true, 0);
    expect(second.request!.records).toBeGreaterThanOrEqual(1);
    expect(second.request!.records).toBeLessThan(10);
  });

  it('cuts a request at 500 entries and at maxRequestBytes counting partition keys', () => {
    const lanes = new LaneSet(router, undefined);
    fill(lanes, keys(800, (i) => `key-${i}`), 10);
    const batcher = new Batcher(limits, undefined);
    expect(batcher.build(lanes, 0, true, 0).request!.entries).toHaveLength(500);
    const small = new Batcher({ ...limits, maxRequestBytes: 1000, targetRequestBytes: 1000 }, undefined);
    const request = small.build(lanes, 0, true, 0).request!;
    expect(request.bytes).toBeLessThanOrEqual(1000);
    expect(request.bytes).toBe(request.entries.reduce((sum, e) => sum + e.data.length + Buffer.byteLength(e.partitionKey), 0));
  });

  it('with key order, entries of one lane in one request never share a partition key', () => {
    const lanes = new LaneSet(router, undefined, true);
    fill(lanes, keys(50, (i) => `k${i % 2}`), 100);
    const batcher = new Batcher({ ...limits, keyOrder: true }, undefined);
    const request = batcher.build(lanes, 0, true, 0).request!;
    expect(request.entries.map((e) => e.partitionKey)).toEqual(['k0', 'k1']);
  });

  it('with key order, an aggregate whose keys an earlier one of its lane holds waits for the next request', () => {
    const lanes = new LaneSet(router, { ...aggregation, maxAggregateBytes: 2_000 }, true);
    // Aggregates of ~9 records of 200 bytes; keys k0..k9 repeat every 10 records, so consecutive aggregates share keys.
    fill(lanes, keys(40, (i) => `k${i % 10}`), 200);
    const batcher = new Batcher({ ...limits, keyOrder: true }, undefined);
    const request = batcher.build(lanes, 0, true, 0).request!;
    expect(request.entries).toHaveLength(1);
    expect(lanes.records).toBe(40 - request.records);
  });

  it('with one request in flight per lane, a busy lane gives nothing', () => {
    const lanes = new LaneSet(router, aggregation);
    fill(lanes, ['k'], 10);
    lanes.get('shard-0')!.inFlight = 1;
    const batcher = new Batcher({ ...limits, oneInFlightPerLane: true }, undefined);
    expect(batcher.build(lanes, 0, true, 0).request).toBeUndefined();
  });
});
