/** Errors the producer raises (each with a stable code; messages say what to change). */
import { InvalidInputError, KedgeError } from '../../core/errors.js';

/** put() after close() started, or a put still waiting when the producer closed. */
export class ProducerClosedError extends KedgeError {
  constructor(operation: string) {
    super('PRODUCER_CLOSED', `Cannot ${operation}: the producer is closed. Create a new one with createProducer().`);
  }
}

/** Too many records are waiting to enter the spool (backpressure with `onBackpressure: 'reject'`, or too many waiters). */
export class ProducerBackpressureError extends KedgeError {
  constructor(message: string) {
    super('PRODUCER_BACKPRESSURE', message);
  }
}

/** An option given to createProducer() is not acceptable. */
export class ProducerOptionsError extends InvalidInputError {
  constructor(message: string) {
    super('PRODUCER_OPTIONS', message);
  }
}

/** flush() or close() gave up waiting after its timeout; the records stay in the spool. */
export class FlushTimeoutError extends KedgeError {
  constructor(message: string) {
    super('FLUSH_TIMEOUT', message);
  }
}

/** A spool entry that is not a record envelope of a version we know (written by a newer kedge, or a bug). */
export class EnvelopeError extends KedgeError {
  constructor(message: string) {
    super('SPOOL_ENVELOPE_INVALID', message);
  }
}
