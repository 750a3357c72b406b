/**
 * Runs one SDK call under a per-request timeout (one timer per request, never per record) and an
 * optional caller signal (the producer aborts in-flight requests when it closes).
 */
import { SinkRequestTimeoutError } from './errors.js';

export async function withRequestTimeout<T>(
  operation: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
  try {
    return await call(combined);
  } catch (error) {
    // Only our timer turns into a timeout; a caller abort surfaces as the SDK's AbortError.
    if (timeout.aborted && !(signal?.aborted ?? false)) throw new SinkRequestTimeoutError(operation, timeoutMs, timeout.reason);
    throw error;
  }
}
