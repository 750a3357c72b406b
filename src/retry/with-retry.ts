/**
 * Runs one request-level operation (ListShards, DescribeStreamSummary, ...) under a RetryPolicy.
 * Record-level retries (PutRecords partial failures) are the pipeline's, which re-queues only the
 * failed entries; this helper is for calls that either succeed or fail as a whole.
 */
import type { Sleep } from '../core/clock.js';
import { KedgeError } from '../core/errors.js';
import { type Classification, classifyError } from './classify.js';
import type { RetryPolicy, RetryRefusal } from './retry-policy.js';

/** The operation failed and the policy refused another retry. The last error is the `cause`. */
export class RetryRefusedError extends KedgeError {
  readonly reason: RetryRefusal;
  readonly classification: Classification;
  readonly attempts: number;
  /** For `budget-exhausted`: how long until the budget affords a retry again. */
  readonly waitMs: number | undefined;

  constructor(
    operation: string,
    reason: RetryRefusal,
    classification: Classification,
    attempts: number,
    cause: unknown,
    waitMs?: number,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'RETRY_REFUSED',
      `${operation} failed after ${attempts} attempt(s) and will not be retried (${reason}; ${classification.errorClass} ${classification.code}): ${detail}`,
      { cause },
    );
    this.reason = reason;
    this.classification = classification;
    this.attempts = attempts;
    this.waitMs = waitMs;
  }
}

export interface WithRetryOptions {
  readonly policy: RetryPolicy;
  readonly sleep: Sleep;
  /** Names the operation in errors. */
  readonly operation: string;
  readonly signal?: AbortSignal;
  readonly classify?: (error: unknown) => Classification;
  /** Called before each backoff sleep (for a metric or a debug log). */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly classification: Classification }) => void;
}

export async function withRetry<T>(run: (attempt: number) => Promise<T>, options: WithRetryOptions): Promise<T> {
  const classify = options.classify ?? classifyError;
  let retryCost = 0;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    let result: T;
    try {
      result = await run(attempt);
    } catch (error) {
      const classification = classify(error);
      const decision = options.policy.decide({ classification, retriesSoFar: attempt });
      if (!decision.retry) {
        throw new RetryRefusedError(options.operation, decision.reason, classification, attempt + 1, error, decision.waitMs);
      }
      retryCost = decision.retryCost;
      options.onRetry?.({ attempt: attempt + 1, delayMs: decision.delayMs, classification });
      await options.sleep(decision.delayMs, options.signal);
      continue;
    }
    options.policy.recordSuccess(retryCost);
    return result;
  }
}
