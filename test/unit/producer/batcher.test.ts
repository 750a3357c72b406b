/**
 * The request builder on its own: limits, per-shard aggregation, linger, the rate limiter, and
 * key-disjoint entries for per-key ordering.
 */
import { describe, expect, it } from 'vitest';
import { ShardRateLimiter } from '../../../src/pipeline/rate-limiter.js';
import { Batcher, type BatchLimits } from '../../../src/pipeline/producer/batcher.js';
import { LaneSet } from '../../../src/pipeline/producer/lanes.js';
import type { PendingRecord } from '../../../src/pipeline/producer/pending.js';
import { deaggregate } from '../../../src/pipeline/aggregation/deaggregate.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const limits: BatchLimits = {
  maxEntries: 500,
  maxRequestBytes: 5 * 1024 * 1024,
  targetRequestBytes: 5 * 1024 * 1024,
  aggregate: true,
  maxAggregateBytes: 51_200,
  maxAggregateRecords: 4_294_967_295,
  maxRecordBytes: 1024 * 1024,
  lingerMs: 100,
  keyOrder: false,
  oneInFlightPerLane: false,
};

let seq = 0;
function record(partitionKey: string, bytes: number, queuedAtMs = 0): PendingRecord {
  seq += 1;
  const data = Buffer.alloc(bytes, seq % 256);
  return { seq, data, partitionKey, explicitHashKey: undefined, size: bytes + Buffer.byteLength(partitionKey), acceptedAtMs: 0, attempts: 0, queuedAtMs };
}

function fill(lanes: LaneSet, shardId: string, records: PendingRecord[]): void {
  const lane = lanes.laneFor(shardId, shardId);
  for (const r of records) lanes.push(lane, r);
}

describe('Batcher', () => {
  it('packs a shard lane into KPL aggregates no larger than maxAggregateBytes, each holding only that lane', () => {
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', Array.from({ length: 1000 }, (_, i) => record(`k${i % 20}`, 200)));
    fill(lanes, 'shard-1', Array.from({ length: 10 }, (_, i) => record(`j${i}`, 200)));
    const { request } = new Batcher(limits, undefined).build(lanes, 1000, true);
    expect(request).toBeDefined();
    const byLane = new Map<string, number>();
    for (const entry of request!.entries) {
      expect(entry.data.length).toBeLessThanOrEqual(51_200);
      expect(entry.sizeBytes).toBe(entry.data.length + Buffer.byteLength(entry.partitionKey));
      expect(deaggregate(entry).length).toBe(entry.records.length);
      expect(entry.records.every((r) => r.partitionKey.startsWith(entry.lane.key === 'shard-0' ? 'k' : 'j'))).toBe(true);
      byLane.set(entry.lane.key, (byLane.get(entry.lane.key) ?? 0) + entry.records.length);
    }
    expect(byLane).toEqual(new Map([['shard-0', 1000], ['shard-1', 10]]));
    expect(lanes.records).toBe(0);
    expect(request!.records).toBe(1010);
  });

  it('holds a partial aggregate back until its lane has lingered, but sends full ones at once', () => {
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', Array.from({ length: 300 }, () => record('k', 200, 1000)));
    const batcher = new Batcher(limits, undefined);
    const early = batcher.build(lanes, 1050, false);
    // 300 × ~204 B: one full aggregate (~50 KiB) goes, the rest waits for the linger deadline.
    expect(early.request!.entries).toHaveLength(1);
    expect(early.wakeAtMs).toBe(1100);
    const rest = lanes.records;
    expect(rest).toBeGreaterThan(0);
    const late = batcher.build(lanes, 1100, false);
    expect(late.request!.records).toBe(rest);
  });

  it('stops a lane when its shard bucket is empty and says when it refills', () => {
    const clock = new ManualClock(0);
    const limiter = new ShardRateLimiter({ clock, ratePercent: 100 });
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', Array.from({ length: 10 }, () => record('k', 1000)));
    const batcher = new Batcher({ ...limits, aggregate: false }, limiter);
    const first = batcher.build(lanes, clock.now(), true);
    // Buckets start empty (KPL): nothing may go yet, and the wake-up is when one record's worth has refilled.
    expect(first.request).toBeUndefined();
    expect(first.wakeAtMs).toBeGreaterThan(0);
    clock.advance(first.wakeAtMs);
    const second = batcher.build(lanes, clock.now(), true);
    expect(second.request!.records).toBeGreaterThanOrEqual(1);
    expect(second.request!.records).toBeLessThan(10);
  });

  it('cuts a request at 500 entries and at maxRequestBytes counting partition keys', () => {
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', Array.from({ length: 800 }, (_, i) => record(`key-${i}`, 10)));
    const batcher = new Batcher({ ...limits, aggregate: false }, undefined);
    expect(batcher.build(lanes, 0, true).request!.entries).toHaveLength(500);
    const small = new Batcher({ ...limits, aggregate: false, maxRequestBytes: 1000, targetRequestBytes: 1000 }, undefined);
    const request = small.build(lanes, 0, true).request!;
    expect(request.bytes).toBeLessThanOrEqual(1000);
    expect(request.bytes).toBe(request.entries.reduce((sum, e) => sum + e.data.length + Buffer.byteLength(e.partitionKey), 0));
  });

  it('with key order, entries of one lane in one request never share a partition key', () => {
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', Array.from({ length: 50 }, (_, i) => record(`k${i % 2}`, 100)));
    const batcher = new Batcher({ ...limits, aggregate: false, keyOrder: true }, undefined);
    const request = batcher.build(lanes, 0, true).request!;
    expect(request.entries.map((e) => e.partitionKey)).toEqual(['k0', 'k1']);
  });

  it('with one request in flight per lane, a busy lane gives nothing', () => {
    const lanes = new LaneSet();
    fill(lanes, 'shard-0', [record('k', 10)]);
    lanes.get('shard-0')!.inFlight = 1;
    const batcher = new Batcher({ ...limits, oneInFlightPerLane: true }, undefined);
    expect(batcher.build(lanes, 0, true).request).toBeUndefined();
  });
});
