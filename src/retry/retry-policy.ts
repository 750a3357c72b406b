/**
 * The retry policy: given a classified failure, retry (after how long) or refuse (and why). It
 * holds no timers; the caller sleeps through the injected Sleep port. Refusal reasons are explicit,
 * as in smithy, so the caller can log them and pick the right fate for the data:
 *
 * - `not-retryable`:      configuration (park and alert) or fatal-record (dead-letter the record).
 * - `record-expired`:     the optional record TTL has passed (dead-letter with that reason).
 * - `attempts-exhausted`: the optional attempt limit was reached.
 * - `budget-exhausted`:   the shared retry budget is empty: wait `waitMs`, keep the data.
 */
import type { Clock, Rng } from '../core/clock.js';
import { backoffDelayMs, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { type Classification, isRetryable } from './classify.js';
import type { RetryBudget } from './retry-budget.js';

export type RetryRefusal = 'not-retryable' | 'record-expired' | 'attempts-exhausted' | 'budget-exhausted';

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; /** Pass to recordSuccess if the retry succeeds. */ readonly retryCost: number }
  | { readonly retry: false; readonly reason: RetryRefusal; /** For budget-exhausted: ms until a retry is affordable. */ readonly waitMs?: number };

export interface RetryPolicyOptions {
  readonly rng: Rng;
  readonly clock: Clock;
  readonly backoff?: Partial<BackoffOptions>;
  /** Shared across all sends of a sink; omit for no budget. */
  readonly budget?: RetryBudget;
  /** Attempts in total, the first included (default: unlimited; the spool keeps the data). */
  readonly maxAttempts?: number;
  /** How long a record may keep being retried after it was accepted (default: no limit). */
  readonly recordTtlMs?: number;
}

export interface FailedAttempt {
  readonly classification: Classification;
  /** Retries already made for this work: 0 after the first attempt failed. */
  readonly retriesSoFar: number;
  /** When the record was accepted (or the work first attempted), for the TTL. */
  readonly firstAttemptAtMs?: number;
}

/** True once `ttlMs` has passed since `firstAttemptAtMs`. */
export function hasRecordExpired(firstAttemptAtMs: number, nowMs: number, ttlMs: number): boolean {
  return nowMs - firstAttemptAtMs >= ttlMs;
}

export class RetryPolicy {
  readonly #rng: Rng;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #budget: RetryBudget | undefined;
  readonly #maxAttempts: number;
  readonly #recordTtlMs: number;

  constructor(options: RetryPolicyOptions) {
    this.#rng = options.rng;
    this.#clock = options.clock;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#budget = options.budget;
    this.#maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.#recordTtlMs = options.recordTtlMs ?? Number.POSITIVE_INFINITY;
  }

  decide(failure: FailedAttempt): RetryDecision {
    const { classification, retriesSoFar, firstAttemptAtMs } = failure;
    if (!isRetryable(classification.errorClass)) return { retry: false, reason: 'not-retryable' };
    if (firstAttemptAtMs !== undefined && hasRecordExpired(firstAttemptAtMs, this.#clock.now(), this.#recordTtlMs)) {
      return { retry: false, reason: 'record-expired' };
    }
    if (retriesSoFar + 1 >= this.#maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
    let retryCost = 0;
    if (this.#budget) {
      const acquired = this.#budget.tryAcquire(classification.isTimeout);
      if (acquired === undefined) {
        return { retry: false, reason: 'budget-exhausted', waitMs: this.#budget.msUntilAffordable(classification.isTimeout) };
      }
      retryCost = acquired;
    }
    const delayMs = backoffDelayMs(retriesSoFar, classification.errorClass, this.#backoff, this.#rng);
    return { retry: true, delayMs, retryCost };
  }

  /** A request succeeded; `retryCost` is the decision's cost if it was a retry, else 0. */
  recordSuccess(retryCost = 0): void {
    this.#budget?.recordSuccess(retryCost);
  }
}
