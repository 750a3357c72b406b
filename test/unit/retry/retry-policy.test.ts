import { describe, expect, it } from 'vitest';
import type { Classification, ErrorClass } from '../../../src/retry/classify.js';
import { RetryBudget } from '../../../src/retry/retry-budget.js';
import { hasRecordExpired, RetryPolicy } from '../../../src/retry/retry-policy.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { seededRng } from '../../helpers/seeded-rng.js';

const failure = (errorClass: ErrorClass, isTimeout = false): Classification => ({ errorClass, code: 'X', isTimeout, recognized: true });

describe('RetryPolicy', () => {
  it('refuses configuration and fatal-record errors without spending budget', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, refillTokensPerSecond: 0 });
    const policy = new RetryPolicy({ rng: seededRng(1), clock, budget });
    expect(policy.decide({ classification: failure('configuration'), retriesSoFar: 0 })).toEqual({ retry: false, reason: 'not-retryable' });
    expect(policy.decide({ classification: failure('fatal-record'), retriesSoFar: 0 })).toEqual({ retry: false, reason: 'not-retryable' });
    expect(budget.available).toBe(500);
  });

  it('retries throttles and transient errors with a full-jitter delay for that attempt', () => {
    const clock = new ManualClock();
    const policy = new RetryPolicy({ rng: seededRng(3), clock });
    for (let n = 0; n < 12; n++) {
      const decision = policy.decide({ classification: failure(n % 2 ? 'throttled' : 'transient'), retriesSoFar: n });
      if (!decision.retry) throw new Error('expected a retry');
      expect(decision.delayMs).toBeGreaterThanOrEqual(0);
      expect(decision.delayMs).toBeLessThan(Math.min(20_000, (n % 2 ? 500 : 100) * 2 ** n));
    }
  });

  it('refuses once the record TTL has passed on the injected clock', () => {
    const clock = new ManualClock();
    const policy = new RetryPolicy({ rng: seededRng(1), clock, recordTtlMs: 30_000 });
    const acceptedAt = clock.now();
    clock.advance(29_999);
    expect(policy.decide({ classification: failure('throttled'), retriesSoFar: 3, firstAttemptAtMs: acceptedAt }).retry).toBe(true);
    clock.advance(1);
    expect(policy.decide({ classification: failure('throttled'), retriesSoFar: 4, firstAttemptAtMs: acceptedAt })).toEqual({
      retry: false,
      reason: 'record-expired',
    });
    expect(hasRecordExpired(0, 10, 10)).toBe(true);
    expect(hasRecordExpired(0, 9, 10)).toBe(false);
  });

  it('keeps retrying without a TTL or attempt limit by default (the spool holds the data)', () => {
    const policy = new RetryPolicy({ rng: seededRng(1), clock: new ManualClock() });
    expect(policy.decide({ classification: failure('transient'), retriesSoFar: 10_000, firstAttemptAtMs: 0 }).retry).toBe(true);
  });

  it('refuses after maxAttempts attempts in total', () => {
    const policy = new RetryPolicy({ rng: seededRng(1), clock: new ManualClock(), maxAttempts: 3 });
    expect(policy.decide({ classification: failure('transient'), retriesSoFar: 1 }).retry).toBe(true);
    expect(policy.decide({ classification: failure('transient'), retriesSoFar: 2 })).toEqual({ retry: false, reason: 'attempts-exhausted' });
  });

  it('stops a storm when the shared budget is empty and says how long until it can retry', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, capacity: 10, refillTokensPerSecond: 2 });
    const policy = new RetryPolicy({ rng: seededRng(1), clock, budget });
    const first = policy.decide({ classification: failure('transient'), retriesSoFar: 0 });
    const second = policy.decide({ classification: failure('transient'), retriesSoFar: 0 });
    expect([first.retry, second.retry]).toEqual([true, true]);
    expect(policy.decide({ classification: failure('transient'), retriesSoFar: 1 })).toEqual({
      retry: false,
      reason: 'budget-exhausted',
      waitMs: 2500,
    });
    if (!first.retry) throw new Error('unreachable');
    policy.recordSuccess(first.retryCost);
    expect(policy.decide({ classification: failure('transient'), retriesSoFar: 1 }).retry).toBe(true);
  });
});
