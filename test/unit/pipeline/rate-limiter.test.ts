import { describe, expect, it } from 'vitest';
import { ShardRateLimiter } from '../../../src/pipeline/rate-limiter.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const MIB = 1024 * 1024;

function limiter(options: Partial<ConstructorParameters<typeof ShardRateLimiter>[0]> = {}): { clock: ManualClock; limiter: ShardRateLimiter } {
  const clock = new ManualClock();
  return { clock, limiter: new ShardRateLimiter({ clock, ...options }) };
}

describe('ShardRateLimiter', () => {
  it('starts a shard with empty buckets (as KPL), so rebooting devices do not open with a burst', () => {
    const { limiter: l } = limiter();
    expect(l.tryTake('shard-0', 1, 100)).toBeGreaterThan(0);
  });

  it('refills at 150% of the shard limits by default: 150 records and 157,286 bytes per 100 ms', () => {
    const { clock, limiter: l } = limiter();
    l.tryTake('s', 0, 0);
    clock.advance(100);
    expect(l.tryTake('s', 151, 0)).toBeGreaterThan(0);
    expect(l.tryTake('s', 150, 0)).toBe(0);
    l.tryTake('t', 0, 0);
    clock.advance(100);
    expect(l.tryTake('t', 1, Math.floor(0.15 * MIB) + 1)).toBeGreaterThan(0);
    expect(l.tryTake('t', 1, Math.floor(0.15 * MIB))).toBe(0);
  });

  it('answers with the wait after which the same request passes, and takes nothing when it says wait', () => {
    const { clock, limiter: l } = limiter();
    const wait = l.tryTake('s', 300, 10_000);
    expect(wait).toBe(200); // 300 records at 1.5 records/ms
    clock.advance(wait - 1);
    expect(l.tryTake('s', 300, 10_000)).toBe(1);
    clock.advance(1);
    expect(l.tryTake('s', 300, 10_000)).toBe(0);
    expect(l.tryTake('s', 1, 0)).toBeGreaterThan(0);
  });

  it('limits by bytes when bytes run out first', () => {
    const { clock, limiter: l } = limiter();
    l.tryTake('s', 0, 0);
    clock.advance(1000);
    // After a second: records bucket full (1,000); bytes bucket 1 MiB (its capacity).
    expect(l.tryTake('s', 10, MIB)).toBe(0);
    const wait = l.tryTake('s', 1, 1536);
    expect(wait).toBe(1); // 1.5 KiB at 1.5 MiB/s
  });

  it('does not bank more than one second of the shard limit, however long the shard was idle', () => {
    const { clock, limiter: l } = limiter();
    l.tryTake('s', 0, 0);
    clock.advance(60_000);
    expect(l.tryTake('s', 1000, 0)).toBe(0);
    expect(l.tryTake('s', 1, 0)).toBeGreaterThan(0);
  });

  it('lets a request larger than a bucket pass once the bucket is full, then makes the next wait off the debt', () => {
    const { clock, limiter: l } = limiter({ maxRecordBytes: MIB });
    l.tryTake('s', 0, 0);
    clock.advance(1000);
    expect(l.tryTake('s', 1, 3 * MIB)).toBe(0);
    // 2 MiB of debt plus 1 byte at 1.5 MiB/s.
    expect(l.tryTake('s', 1, 1)).toBe(Math.ceil((2 * MIB + 1) / ((1.5 * MIB) / 1000)));
  });

  it('keeps shards independent', () => {
    const { clock, limiter: l } = limiter();
    l.tryTake('a', 0, 0);
    l.tryTake('b', 0, 0);
    clock.advance(1000);
    expect(l.tryTake('a', 1000, 0)).toBe(0);
    expect(l.tryTake('b', 1000, 0)).toBe(0);
  });

  it('halves a shard\'s rate on a throttle, so the same request waits twice as long', () => {
    const { limiter: l } = limiter();
    const before = l.tryTake('s', 150, 0);
    l.onThrottled('s');
    expect(l.ratePercent('s')).toBe(75);
    expect(l.tryTake('s', 150, 0)).toBe(2 * before);
    expect(l.ratePercent('other')).toBe(150);
  });

  it('counts throttles reported within the cooldown as one decrease', () => {
    const { clock, limiter: l } = limiter();
    l.onThrottled('s');
    l.onThrottled('s');
    l.onThrottled('s');
    expect(l.ratePercent('s')).toBe(75);
    clock.advance(1000);
    l.onThrottled('s');
    // 75 + 10 points recovered over that second, then halved.
    expect(l.ratePercent('s')).toBe(42.5);
  });

  it('never drops below the floor rate', () => {
    const { clock, limiter: l } = limiter({ recoveryPercentPerSecond: 0 });
    for (let i = 0; i < 20; i++) {
      l.onThrottled('s');
      clock.advance(1000);
    }
    expect(l.ratePercent('s')).toBe(10);
  });

  it('recovers additively, 10 points of the shard limit per second, up to the configured rate', () => {
    const { clock, limiter: l } = limiter();
    l.onThrottled('s');
    clock.advance(2500);
    expect(l.ratePercent('s')).toBe(100);
    clock.advance(60_000);
    expect(l.ratePercent('s')).toBe(150);
  });

  it('honours a configured rate percentage', () => {
    const { limiter: l } = limiter({ ratePercent: 100 });
    expect(l.tryTake('s', 100, 0)).toBe(100);
  });

  it('forgets shards it is told are gone, which start again empty at full rate', () => {
    const { clock, limiter: l } = limiter();
    l.onThrottled('closed');
    l.tryTake('open', 0, 0);
    clock.advance(500);
    l.retainOnly(['open']);
    expect(l.ratePercent('closed')).toBe(150);
    expect(l.tryTake('closed', 1, 0)).toBeGreaterThan(0);
    expect(l.tryTake('open', 700, 0)).toBe(0);
  });
});
