/**
 * Error classification, in ONE place (DESIGN.md §5, smithy: classification separate from policy).
 * Every sink asks this module what an error means; the retry policy decides what to do about it.
 *
 * - `throttled`:     the service asks us to slow down. Retry with the (longer) throttling backoff.
 * - `transient`:     a server or network failure. Retry with backoff.
 * - `configuration`: missing stream, denied access, disabled KMS key, bad credentials, invalid
 *                    request. Retrying cannot help: park the data durably and alert (kds.md §1.1).
 * - `fatal-record`:  this one record can never be delivered (e.g. too large): dead-letter it, keep
 *                    the rest flowing.
 */
import { InvalidInputError } from '../core/errors.js';
import { InvalidRecordError } from '../core/record-validation.js';
import {
  CLOCK_SKEW_MESSAGE,
  CONFIGURATION_ERROR_NAMES,
  SIGNATURE_ERROR_NAMES,
  THROTTLING_ERROR_NAMES,
  THROTTLING_HTTP_STATUSES,
  TIMEOUT_ERROR_NAMES,
  TIMEOUT_HTTP_STATUSES,
  TRANSIENT_ERROR_NAMES,
} from './error-codes.js';

export type ErrorClass = 'throttled' | 'transient' | 'configuration' | 'fatal-record';

export interface Classification {
  readonly errorClass: ErrorClass;
  /** The name, code or `HTTP <status>` the class was decided by (for logs and metric labels). */
  readonly code: string;
  /** A timeout: the request may have been written anyway, so a retry may duplicate records. */
  readonly isTimeout: boolean;
  /** False when nothing known matched and the default (`transient`) was applied. */
  readonly recognized: boolean;
}

/** True for the classes a retry can fix. */
export function isRetryable(errorClass: ErrorClass): boolean {
  return errorClass === 'throttled' || errorClass === 'transient';
}

/**
 * Classifies a per-record `ErrorCode` from a PutRecords or PutRecordBatch response. Those codes
 * are only ever throttling or internal failures; anything new is retried like KPL does.
 */
export function classifyRecordErrorCode(errorCode: string): Classification {
  return classifyName(errorCode, undefined) ?? unrecognized(errorCode);
}

/**
 * Classifies a thrown error: an AWS SDK v3 exception (`name`, `$retryable`,
 * `$metadata.httpStatusCode`), a Node.js or undici network error (`code`, possibly wrapped as
 * `cause`), or one of ours. Unknown errors without an HTTP status count as transient: on an edge
 * device networks fail in ways no list anticipates, the spool keeps the data, and backoff plus the
 * retry budget bound the cost; parking them would stall delivery for nothing.
 */
export function classifyError(error: unknown): Classification {
  if (error instanceof InvalidRecordError) return known('fatal-record', error.code);
  // Our own invalid options and settings: a person has to change them.
  if (error instanceof InvalidInputError) return known('configuration', error.code);

  // Walk the cause chain: fetch/undici wrap the socket error ("fetch failed" with cause ECONNRESET).
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth++) {
    const message = typeof current.message === 'string' ? current.message : undefined;
    for (const candidate of [current.name, current.code, current.Code]) {
      if (typeof candidate !== 'string') continue;
      const byName = classifyName(candidate, message);
      if (byName) return byName;
    }
    const retryable = current.$retryable;
    if (isObject(retryable)) {
      return known(retryable.throttling === true ? 'throttled' : 'transient', stringName(current) ?? '$retryable');
    }
    const status = httpStatus(current);
    if (status !== undefined) {
      const byStatus = classifyStatus(status);
      if (byStatus) return byStatus;
    }
    current = current.cause;
  }
  return unrecognized(isObject(error) ? (stringName(error) ?? 'Error') : typeof error);
}

function classifyName(name: string, message: string | undefined): Classification | undefined {
  if (THROTTLING_ERROR_NAMES.has(name)) return known('throttled', name);
  if (TRANSIENT_ERROR_NAMES.has(name)) return known('transient', name, TIMEOUT_ERROR_NAMES.has(name));
  if (CONFIGURATION_ERROR_NAMES.has(name)) return known('configuration', name);
  if (SIGNATURE_ERROR_NAMES.has(name)) {
    return known(message !== undefined && CLOCK_SKEW_MESSAGE.test(message) ? 'transient' : 'configuration', name);
  }
  return undefined;
}

function classifyStatus(status: number): Classification | undefined {
  const code = `HTTP ${status}`;
  if (THROTTLING_HTTP_STATUSES.has(status)) return known('throttled', code);
  if (TIMEOUT_HTTP_STATUSES.has(status)) return known('transient', code, true);
  if (status >= 500 && status <= 599) return known('transient', code);
  // Any other 4xx is the request's fault and will fail the same way again.
  if (status >= 400 && status <= 499) return known('configuration', code);
  return undefined;
}

function known(errorClass: ErrorClass, code: string, isTimeout = false): Classification {
  return { errorClass, code, isTimeout, recognized: true };
}

function unrecognized(code: string): Classification {
  return { errorClass: 'transient', code, isTimeout: false, recognized: false };
}

function httpStatus(error: Record<string, unknown>): number | undefined {
  const metadata = error.$metadata;
  const status = isObject(metadata) ? metadata.httpStatusCode : (error.statusCode ?? error.status);
  return typeof status === 'number' ? status : undefined;
}

function stringName(error: Record<string, unknown>): string | undefined {
  return typeof error.name === 'string' ? error.name : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
