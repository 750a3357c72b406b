/**
 * Exponential backoff with FULL jitter (AWS Architecture Blog "Exponential Backoff and Jitter";
 * smithy DefaultRetryBackoffStrategy): the delay before retry n (0-based) is uniform in
 * [0, min(cap, base · 2^n)). Full jitter spreads a fleet of devices that failed together, so they
 * do not retry in lock step. Randomness is injected.
 */
import type { Rng } from '../core/clock.js';
import type { ErrorClass } from './classify.js';

export interface BackoffOptions {
  /** Base delay for transient errors (smithy: 100 ms). */
  readonly baseMs: number;
  /** Base delay after a throttle: the service asked us to slow down (smithy: 500 ms). */
  readonly throttledBaseMs: number;
  /** Largest delay (smithy: 20 s). */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 100, throttledBaseMs: 500, capMs: 20_000 });

// 2^52 · base overflows nothing and is far past any cap; keeps 2 ** attempt finite.
const MAX_EXPONENT = 52;

/** The upper bound of the delay before retry `attempt` (0-based): min(cap, base · 2^attempt). */
export function backoffCeilingMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt), MAX_EXPONENT));
}

/** A full-jitter delay in [0, min(cap, base · 2^attempt)). */
export function fullJitterBackoffMs(attempt: number, baseMs: number, capMs: number, rng: Rng): number {
  return rng.next() * backoffCeilingMs(attempt, baseMs, capMs);
}

/** The full-jitter delay for an error of `errorClass` before retry `attempt` (0-based). */
export function backoffDelayMs(attempt: number, errorClass: ErrorClass, options: BackoffOptions, rng: Rng): number {
  const baseMs = errorClass === 'throttled' ? options.throttledBaseMs : options.baseMs;
  return fullJitterBackoffMs(attempt, baseMs, options.capMs, rng);
}
