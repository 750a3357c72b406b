import type { Clock } from '../../src/core/clock.js';

/** A Clock that moves only when the test says so. */
export class ManualClock implements Clock {
  constructor(private nowMs = 1_700_000_000_000) {}

  now(): number {
    return this.nowMs;
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }
}
