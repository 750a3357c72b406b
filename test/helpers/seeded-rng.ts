import type { Rng } from '../../src/core/clock.js';

/** A deterministic Rng (mulberry32): the same seed gives the same sequence on every run. */
export function seededRng(seed: number): Rng & { int(maxExclusive: number): number } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (maxExclusive) => Math.floor(next() * maxExclusive) };
}
