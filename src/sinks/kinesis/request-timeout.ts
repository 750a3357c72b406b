/**
 * Runs one SDK call under a per-request timeout (one timer per request, never per record) and an
 * optional caller signal (the producer aborts in-flight requests when it closes). The call is raced
 * against the timer: a request handler that ignores the abort signal still cannot hang the sender.
 */
import { SinkRequestTimeoutError } from './errors.js';

export async function withRequestTimeout<T>(
  operation: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new DOMException(`${operation} timed out after ${timeoutMs} ms`, 'TimeoutError');
      controller.abort(reason);
      reject(new SinkRequestTimeoutError(operation, timeoutMs, reason));
    }, timeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (signal === undefined) return;
    onAbort = () => {
      controller.abort(signal.reason);
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = call(controller.signal);
  try {
    return await Promise.race([running, expired, aborted]);
  } finally {
    clearTimeout(timer);
    // The caller's signal outlives this request (the producer's, for its whole life): without this,
    // every request left a listener on it, a leak that grew by one closure per request.
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    // The loser may still settle later; nobody waits for it.
    running.catch(() => undefined);
    expired.catch(() => undefined);
    aborted.catch(() => undefined);
  }
}
