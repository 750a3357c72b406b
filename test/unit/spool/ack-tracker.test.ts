import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../../src/spool/ack-tracker.js';
import { seededRng } from './helpers.js';

describe('AckTracker (SPEC.md §5)', () => {
  it('moves the mark over in-order acks without keeping any range', () => {
    const tracker = new AckTracker(0);
    for (let seq = 1; seq <= 1000; seq += 1) expect(tracker.ack(seq)).toBe(true);
    expect(tracker.ackedThrough).toBe(1000);
    expect(tracker.rangeCount).toBe(0);
  });

  it('holds out-of-order acks as merged ranges until the gap below them closes', () => {
    const tracker = new AckTracker(10);
    expect(tracker.ack(15, 20)).toBe(false);
    expect(tracker.ack(21)).toBe(false);
    expect(tracker.ack(13)).toBe(false);
    expect(tracker.rangeCount).toBe(2);
    expect(tracker.acknowledgedAboveMark).toBe(8);
    expect(tracker.ack(14)).toBe(false);
    expect(tracker.rangeCount).toBe(1);
    expect(tracker.ack(11, 12)).toBe(true);
    expect(tracker.ackedThrough).toBe(21);
    expect(tracker.rangeCount).toBe(0);
    expect(tracker.acknowledgedAboveMark).toBe(0);
  });

  it('drops through a seq and reports only the unacknowledged seqs it covered', () => {
    const tracker = new AckTracker(0);
    tracker.ack(3, 4);
    tracker.ack(9, 12);
    expect(tracker.countUnacknowledged(1, 10)).toBe(6);
    expect(tracker.dropThrough(10)).toBe(6);
    // 11 and 12 were acknowledged, so the mark runs on through them.
    expect(tracker.ackedThrough).toBe(12);
    expect(tracker.dropThrough(5)).toBe(0);
  });

  it('agrees with a plain set model over random out-of-order acks (seeded)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const rng = seededRng(seed);
      const tracker = new AckTracker(0);
      const acked = new Set<number>();
      for (let step = 0; step < 500; step += 1) {
        const first = 1 + Math.floor(rng() * 300);
        const last = first + Math.floor(rng() * 5);
        tracker.ack(first, last);
        for (let s = first; s <= last; s += 1) acked.add(s);
        let mark = 0;
        while (acked.has(mark + 1)) mark += 1;
        expect(tracker.ackedThrough).toBe(mark);
        const above = [...acked].filter((s) => s > mark).length;
        expect(tracker.acknowledgedAboveMark).toBe(above);
      }
    }
  });
});
