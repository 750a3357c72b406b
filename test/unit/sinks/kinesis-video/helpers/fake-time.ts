/**
 * Manual time for tests: `clock` and `sleep` are what the code under test gets; the test moves time with
 * `advance`, which fires due sleeps in deadline order and lets the promise callbacks they trigger run.
 */
import type { Clock, Rng, Sleep } from '../../../../../src/core/clock.js';

interface Timer {
  readonly at: number;
  readonly ms: number;
  readonly order: number;
  readonly resolve: () => void;
}

/** Lets pending I/O callbacks and promise chains run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeTime {
  private t: number;
  private order = 0;
  private readonly timers = new Set<Timer>();

  constructor(startMs = Date.UTC(2025, 0, 15, 12, 0, 0)) {
    this.t = startMs;
  }

  readonly clock: Clock = { now: () => this.t };

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        ms,
        order: (this.order += 1),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers.delete(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.add(timer);
    });

  now(): number {
    return this.t;
  }

  /** Durations of the sleeps now pending. */
  pendingSleeps(): number[] {
    return [...this.timers].map((t) => t.ms);
  }

  /** Moves time forward by `ms`, firing every sleep that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      let next: Timer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= target && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.order < next.order))) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    this.t = target;
    await settle();
  }
}

/** Deterministic RNG (mulberry32). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An RNG that always returns the same value (e.g. 0.5 for a known jitter). */
export const constantRng = (value: number): Rng => ({ next: () => value });
