/**
 * A retry budget shared by every send of a sink (smithy StandardRetryStrategy's retry quota): each
 * retry spends tokens, each success gives some back. When a storm of failures drains it, retries
 * stop, so an outage is not answered with a flood of requests.
 *
 * Unlike smithy, the bucket also refills slowly with time (on the injected clock). A device that is
 * offline sees no successes at all; without the time refill its budget would stay empty forever and
 * it would never probe the network again. With it, an empty budget allows about one retry per
 * `retryCost / refillTokensPerSecond` seconds.
 */
import type { Clock } from '../core/clock.js';

export interface RetryBudgetOptions {
  readonly clock: Clock;
  /** Size of the bucket, and its starting level (smithy: 500). */
  readonly capacity?: number;
  /** Tokens one retry spends (smithy: 5). */
  readonly retryCost?: number;
  /** Tokens a retry after a timeout spends: it may have duplicated a write (smithy: 10). */
  readonly timeoutRetryCost?: number;
  /** Tokens a first-attempt success gives back (smithy: 1). A successful retry refunds its cost. */
  readonly successRefund?: number;
  /** Tokens added per second of elapsed time (0 disables). */
  readonly refillTokensPerSecond?: number;
}

export const RETRY_BUDGET_DEFAULTS = Object.freeze({
  capacity: 500,
  retryCost: 5,
  timeoutRetryCost: 10,
  successRefund: 1,
  refillTokensPerSecond: 1,
});

export class RetryBudget {
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #retryCost: number;
  readonly #timeoutRetryCost: number;
  readonly #successRefund: number;
  readonly #refillPerMs: number;
  #tokens: number;
  #updatedAtMs: number;

  constructor(options: RetryBudgetOptions) {
    this.#clock = options.clock;
    this.#capacity = options.capacity ?? RETRY_BUDGET_DEFAULTS.capacity;
    this.#retryCost = options.retryCost ?? RETRY_BUDGET_DEFAULTS.retryCost;
    this.#timeoutRetryCost = options.timeoutRetryCost ?? RETRY_BUDGET_DEFAULTS.timeoutRetryCost;
    this.#successRefund = options.successRefund ?? RETRY_BUDGET_DEFAULTS.successRefund;
    this.#refillPerMs = (options.refillTokensPerSecond ?? RETRY_BUDGET_DEFAULTS.refillTokensPerSecond) / 1000;
    this.#tokens = this.#capacity;
    this.#updatedAtMs = this.#clock.now();
  }

  /** Tokens available now. */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** The tokens a retry of this kind costs. */
  costOf(isTimeout: boolean): number {
    return isTimeout ? this.#timeoutRetryCost : this.#retryCost;
  }

  /** Spends the cost of one retry and returns it, or returns undefined (spending nothing) if short. */
  tryAcquire(isTimeout: boolean): number | undefined {
    this.#refill();
    const cost = this.costOf(isTimeout);
    if (this.#tokens < cost) return undefined;
    this.#tokens -= cost;
    return cost;
  }

  /** Milliseconds until a retry of this kind could be afforded by time refill alone (0 if now). */
  msUntilAffordable(isTimeout: boolean): number {
    this.#refill();
    const missing = this.costOf(isTimeout) - this.#tokens;
    if (missing <= 0) return 0;
    if (this.#refillPerMs <= 0) return Number.POSITIVE_INFINITY;
    // The epsilon absorbs float error from fractional refills (4.999 tokens must not read as 2 ms short).
    return Math.max(1, Math.ceil(missing / this.#refillPerMs - 1e-6));
  }

  /**
   * A request succeeded. Pass the cost returned by {@link tryAcquire} if it was a retry (it is
   * refunded in full), or nothing for a first attempt.
   */
  recordSuccess(retryCost = 0): void {
    this.#refill();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (retryCost > 0 ? retryCost : this.#successRefund));
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsedMs = now - this.#updatedAtMs;
    this.#updatedAtMs = now;
    if (elapsedMs > 0 && this.#refillPerMs > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsedMs * this.#refillPerMs);
    }
  }
}
