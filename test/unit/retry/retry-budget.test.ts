import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../../src/retry/retry-budget.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('RetryBudget', () => {
  it('runs dry under a storm of failures: 100 retries at cost 5 from 500 tokens, then refuses', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), refillTokensPerSecond: 0 });
    let granted = 0;
    while (budget.tryAcquire(false) !== undefined) granted++;
    expect(granted).toBe(100);
    expect(budget.available).toBe(0);
    expect(budget.tryAcquire(false)).toBeUndefined();
  });

  it('charges retries after a timeout double (they may have duplicated a write)', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), refillTokensPerSecond: 0 });
    let granted = 0;
    while (budget.tryAcquire(true) !== undefined) granted++;
    expect(granted).toBe(50);
  });

  it('refills on success: a successful retry refunds its cost, a first-attempt success adds 1', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), refillTokensPerSecond: 0 });
    while (budget.tryAcquire(false) !== undefined);
    budget.recordSuccess(5);
    expect(budget.available).toBe(5);
    expect(budget.tryAcquire(false)).toBe(5);
    for (let i = 0; i < 4; i++) budget.recordSuccess();
    expect(budget.tryAcquire(false)).toBeUndefined();
    budget.recordSuccess();
    expect(budget.tryAcquire(false)).toBe(5);
  });

  it('never fills above its capacity', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), capacity: 20 });
    for (let i = 0; i < 100; i++) budget.recordSuccess(10);
    expect(budget.available).toBe(20);
  });

  it('refills slowly with time on the injected clock, so an offline device still probes now and then', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, refillTokensPerSecond: 1 });
    while (budget.tryAcquire(false) !== undefined);
    expect(budget.msUntilAffordable(false)).toBe(5000);
    clock.advance(4999);
    expect(budget.tryAcquire(false)).toBeUndefined();
    expect(budget.msUntilAffordable(false)).toBe(1);
    clock.advance(1);
    expect(budget.tryAcquire(false)).toBe(5);
    clock.advance(10_000_000);
    expect(budget.available).toBe(500);
  });

  it('reports that it will never refill when time refill is off and it is empty', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), capacity: 5, refillTokensPerSecond: 0 });
    budget.tryAcquire(false);
    expect(budget.msUntilAffordable(false)).toBe(Number.POSITIVE_INFINITY);
  });
});
