/** Retry: error classification (one place), full-jitter backoff, retry budget, policy. */
export { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF, fullJitterBackoffMs, type BackoffOptions } from './backoff.js';
export { classifyError, classifyRecordErrorCode, isRetryable, type Classification, type ErrorClass } from './classify.js';
export { RETRY_BUDGET_DEFAULTS, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export {
  hasRecordExpired,
  RetryPolicy,
  type FailedAttempt,
  type RetryDecision,
  type RetryPolicyOptions,
  type RetryRefusal,
} from './retry-policy.js';
export { timerSleep } from './sleep.js';
export { RetryRefusedError, withRetry, type WithRetryOptions } from './with-retry.js';
