/** Errors the Kinesis and Firehose sinks raise themselves (the services' own errors pass through unchanged). */
import { KedgeError } from '../../core/errors.js';

/**
 * A request took longer than the sink's request timeout and was aborted. The `cause` is the abort
 * reason, a DOMException named `TimeoutError`, which retry/classify.ts treats as a transient timeout:
 * the request may have been written anyway, so its records are counted as possible duplicates.
 */
export class SinkRequestTimeoutError extends KedgeError {
  constructor(operation: string, timeoutMs: number, cause: unknown) {
    super(
      'SINK_REQUEST_TIMEOUT',
      `${operation} got no answer within ${timeoutMs} ms and was aborted; it will be retried. Raise requestTimeoutMs if the link is this slow.`,
      { cause },
    );
  }
}

/**
 * The service answered with a different number of result entries than we sent (KPL: "Record Count
 * Mismatch"). We cannot tell which entry succeeded, so every entry is retried (duplicates possible).
 */
export class SinkResponseMismatchError extends KedgeError {
  constructor(operation: string, sent: number, received: number) {
    super('SINK_RESPONSE_MISMATCH', `${operation} sent ${sent} entries but the response has ${received} results; all of them will be retried.`);
  }
}
