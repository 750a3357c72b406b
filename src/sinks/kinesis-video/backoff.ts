/**
 * Exponential backoff with full jitter (delay uniform in [0, min(cap, base * 2^attempt)]), so that many
 * cameras coming back after the same outage do not reconnect in lockstep. The RNG is injected.
 * (Kept here until src/retry/ offers the shared policy; it has no other dependency.)
 */
import type { Rng } from '../../core/clock.js';

export interface BackoffPolicy {
  /** First ceiling, ms (default 500). */
  readonly baseMs?: number;
  /** Largest ceiling, ms (default 30 s: a camera should not wait minutes after the link returns). */
  readonly capMs?: number;
}

export function backoffDelay(attempt: number, rng: Rng, policy: BackoffPolicy = {}): number {
  const base = policy.baseMs ?? 500;
  const cap = policy.capMs ?? 30_000;
  // 2^attempt overflows to Infinity past ~1000 attempts; min() keeps the ceiling at the cap.
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 52));
  return Math.floor(rng.next() * ceiling);
}
