import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../../src/sinks/kinesis-video/backoff.js';
import { constantRng, seededRng } from './helpers/fake-time.js';

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly below base * 2^attempt, capped', () => {
    expect([0, 1, 2, 3, 10, 2000].map((a) => backoffDelay(a, constantRng(0.999999), { baseMs: 500, capMs: 30_000 }))).toEqual([499, 999, 1999, 3999, 29_999, 29_999]);
    expect(backoffDelay(5, constantRng(0), { baseMs: 500 })).toBe(0);
  });

  it('spreads reconnects of many devices instead of retrying in lockstep', () => {
    const rng = seededRng(3);
    const delays = Array.from({ length: 200 }, () => backoffDelay(6, rng));
    expect(new Set(delays).size).toBeGreaterThan(150);
    expect(Math.max(...delays)).toBeLessThan(30_000);
  });
});
