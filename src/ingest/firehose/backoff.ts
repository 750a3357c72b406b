import type { Rng, Sleep } from '../../core/clock.js';
import { timerSleep as abortableSleep } from '../../retry/sleep.js';
import { HTTP_BACKOFF_INITIAL_MS, HTTP_BACKOFF_JITTER, HTTP_BACKOFF_MAX_MS } from './constants.js';

/**
 * Firehose's retry delay after the `attempt`-th failure (1-based): 1 s doubling, capped at 2 min, +-15 % jitter
 * (httpdeliveryrequestresponse.md). The same curve paces Lambda re-invocations and local S3 write retries.
 * Not retry/backoff.ts's full jitter on purpose: this is the curve AWS documents for Firehose, which the target mimics.
 */
export function backoffDelayMs(attempt: number, rng: Rng, maxMs = HTTP_BACKOFF_MAX_MS): number {
  const base = Math.min(HTTP_BACKOFF_INITIAL_MS * 2 ** Math.min(attempt - 1, 30), maxMs);
  return Math.round(base * (1 + HTTP_BACKOFF_JITTER * (2 * rng.next() - 1)));
}

/**
 * A Sleep on real timers (retry/sleep.ts) that ends early by resolving when `signal` aborts: Firehose's retry
 * loops look at their signal after waking and wind down themselves, so a stop is not an error here.
 */
export const timerSleep: Sleep = (ms, signal) => abortableSleep(ms, signal).catch(() => undefined);
