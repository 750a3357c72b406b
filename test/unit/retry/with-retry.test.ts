import { describe, expect, it } from 'vitest';
import type { Sleep } from '../../../src/core/clock.js';
import { RetryBudget } from '../../../src/retry/retry-budget.js';
import { RetryPolicy } from '../../../src/retry/retry-policy.js';
import { RetryRefusedError, withRetry } from '../../../src/retry/with-retry.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { seededRng } from '../../helpers/seeded-rng.js';

/** A Sleep that records the delays and advances the manual clock instead of waiting. */
function recordingSleep(clock: ManualClock): Sleep & { delays: number[] } {
  const delays: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    delays.push(ms);
    clock.advance(ms);
  };
  return Object.assign(sleep, { delays });
}

const throttle = (): Error => Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });

describe('withRetry', () => {
  it('retries a throttled call after the policy\'s delays, through the injected sleep, and returns its result', async () => {
    const clock = new ManualClock();
    const sleep = recordingSleep(clock);
    const budget = new RetryBudget({ clock, refillTokensPerSecond: 0 });
    const policy = new RetryPolicy({ rng: seededRng(5), clock, budget });
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw throttle();
        return 'shards';
      },
      { policy, sleep, operation: 'ListShards' },
    );
    expect(result).toBe('shards');
    expect(calls).toBe(4);
    expect(sleep.delays).toHaveLength(3);
    sleep.delays.forEach((delay, n) => expect(delay).toBeLessThan(500 * 2 ** n));
    // Three retries spent 15 tokens; the successful retry refunded its 5.
    expect(budget.available).toBe(490);
  });

  it('gives up at once on a configuration error, keeping the original error as the cause', async () => {
    const clock = new ManualClock();
    const sleep = recordingSleep(clock);
    const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
    const failure = withRetry(
      async () => {
        throw denied;
      },
      { policy: new RetryPolicy({ rng: seededRng(1), clock }), sleep, operation: 'ListShards' },
    );
    await expect(failure).rejects.toBeInstanceOf(RetryRefusedError);
    const error = (await failure.catch((e: unknown) => e)) as RetryRefusedError;
    expect(error.code).toBe('RETRY_REFUSED');
    expect(error.reason).toBe('not-retryable');
    expect(error.cause).toBe(denied);
    expect(error.message).toContain('ListShards failed after 1 attempt(s)');
    expect(error.message).toContain('configuration AccessDeniedException');
    expect(sleep.delays).toEqual([]);
  });

  it('stops when the retry budget runs out and reports when a retry would be affordable', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, capacity: 10, refillTokensPerSecond: 1 });
    const error = (await withRetry(
      async () => {
        throw throttle();
      },
      { policy: new RetryPolicy({ rng: seededRng(1), clock, budget }), sleep: recordingSleep(clock), operation: 'ListShards' },
    ).catch((e: unknown) => e)) as RetryRefusedError;
    expect(error.reason).toBe('budget-exhausted');
    expect(error.attempts).toBe(3);
    expect(error.waitMs).toBeGreaterThan(0);
  });

  it('stops before the next attempt once the signal is aborted', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let calls = 0;
    const failure = withRetry(
      async () => {
        calls++;
        controller.abort(new Error('shutting down'));
        throw throttle();
      },
      { policy: new RetryPolicy({ rng: seededRng(1), clock }), sleep: recordingSleep(clock), operation: 'ListShards', signal: controller.signal },
    );
    await expect(failure).rejects.toThrow('shutting down');
    expect(calls).toBe(1);
  });
});
