import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF, fullJitterBackoffMs } from '../../../src/retry/backoff.js';
import { seededRng } from '../../helpers/seeded-rng.js';

describe('full-jitter exponential backoff', () => {
  it('draws every delay from [0, min(cap, base·2^n)) with a seeded RNG', () => {
    const rng = seededRng(42);
    for (let n = 0; n < 40; n++) {
      const ceiling = Math.min(20_000, 100 * 2 ** n);
      const delays = Array.from({ length: 200 }, () => fullJitterBackoffMs(n, 100, 20_000, rng));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(ceiling);
    }
  });

  it('spreads delays over the whole interval (full jitter, not equal jitter)', () => {
    const rng = seededRng(1);
    const delays = Array.from({ length: 1000 }, () => fullJitterBackoffMs(3, 100, 20_000, rng));
    expect(Math.min(...delays)).toBeLessThan(80); // near 0: no fixed half-ceiling floor
    expect(Math.max(...delays)).toBeGreaterThan(720); // near the 800 ms ceiling
  });

  it('is the RNG draw times the ceiling, so the same seed gives the same schedule', () => {
    const fixed = (value: number) => ({ next: () => value });
    expect(fullJitterBackoffMs(2, 100, 20_000, fixed(0))).toBe(0);
    expect(fullJitterBackoffMs(2, 100, 20_000, fixed(0.5))).toBe(200);
    const a = seededRng(7);
    const b = seededRng(7);
    expect(Array.from({ length: 10 }, (_, n) => fullJitterBackoffMs(n, 100, 20_000, a))).toEqual(
      Array.from({ length: 10 }, (_, n) => fullJitterBackoffMs(n, 100, 20_000, b)),
    );
  });

  it('doubles the ceiling per attempt until the cap, and stays finite for huge attempt numbers', () => {
    expect([0, 1, 2, 3, 7, 8, 100, 5000].map((n) => backoffCeilingMs(n, 100, 20_000))).toEqual([
      100, 200, 400, 800, 12_800, 20_000, 20_000, 20_000,
    ]);
  });

  it('uses the longer throttling base after a throttle (smithy: 500 ms vs 100 ms)', () => {
    const top = { next: () => 0.999_999 };
    expect(backoffDelayMs(0, 'throttled', DEFAULT_BACKOFF, top)).toBeCloseTo(500, 0);
    expect(backoffDelayMs(0, 'transient', DEFAULT_BACKOFF, top)).toBeCloseTo(100, 0);
    expect(backoffDelayMs(10, 'throttled', DEFAULT_BACKOFF, top)).toBeCloseTo(20_000, 0);
  });
});
