import type { Rng, Sleep } from '../../core/clock.js';
import { HTTP_BACKOFF_INITIAL_MS, HTTP_BACKOFF_JITTER, HTTP_BACKOFF_MAX_MS } from './constants.js';

/**
 * Firehose's retry delay after the `attempt`-th failure (1-based): 1 s doubling, capped at 2 min, +-15 % jitter
 * (httpdeliveryrequestresponse.md). The same curve paces Lambda re-invocations and local S3 write retries.
 */
export function backoffDelayMs(attempt: number, rng: Rng, maxMs = HTTP_BACKOFF_MAX_MS): number {
  const base = Math.min(HTTP_BACKOFF_INITIAL_MS * 2 ** Math.min(attempt - 1, 30), maxMs);
  return Math.round(base * (1 + HTTP_BACKOFF_JITTER * (2 * rng.next() - 1)));
}

/** A Sleep on real timers that ends early (resolving) when `signal` aborts. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
