/**
 * Reconnect delays for PutMedia: exponential backoff with full jitter (src/retry/backoff.ts, the one formula
 * kedge uses), so that many cameras coming back after the same outage do not reconnect in lockstep. What is
 * this sink's own: its defaults and whole milliseconds. The RNG is injected.
 */
import type { Rng } from '../../core/clock.js';
import { fullJitterBackoffMs } from '../../retry/backoff.js';

export interface BackoffPolicy {
  /** First ceiling, ms (default 500). */
  readonly baseMs?: number;
  /** Largest ceiling, ms (default 30 s: a camera should not wait minutes after the link returns). */
  readonly capMs?: number;
}

/** A delay in whole ms, uniform in [0, min(cap, base · 2^attempt)); `attempt` counts from 0. */
export function backoffDelay(attempt: number, rng: Rng, policy: BackoffPolicy = {}): number {
  return Math.floor(fullJitterBackoffMs(attempt, policy.baseMs ?? 500, policy.capMs ?? 30_000, rng));
}
