/**
 * The policy for one ERROR ACK (the classification is in ack-errors.ts): which fragment it blames, whether
 * that fragment is skipped, and how the session ends.
 */
import type { ErrorAck } from './ack-parser.js';
import { classifyAckError, type AckErrorClass } from './ack-errors.js';
import { KinesisVideoError } from './errors.js';
import type { SessionOutcomeDraft } from './session-outcome.js';

export interface BlameCandidate {
  readonly seq: number;
  readonly fragmentTimecodeMs: number;
  /** RECEIVED came for it already. */
  readonly received: boolean;
}

/**
 * The fragment an ERROR ACK is about: the one with its timecode, else the one the service was still
 * receiving (the first not RECEIVED), else the oldest in flight. Some ERRORs carry no timecode (4006), and
 * one sample carries 0 (kvs.md §1.5).
 */
export function blameFragment<T extends BlameCandidate>(ack: ErrorAck, inFlight: Iterable<T>): T | undefined {
  let firstNotReceived: T | undefined;
  let oldest: T | undefined;
  for (const entry of inFlight) {
    if (ack.fragmentTimecode !== undefined && entry.fragmentTimecodeMs === ack.fragmentTimecode) return entry;
    oldest ??= entry;
    if (!entry.received) firstNotReceived ??= entry;
  }
  return firstNotReceived ?? oldest;
}

export interface ErrorAckDecision {
  readonly errorClass: AckErrorClass;
  /** Free the blamed fragment as skipped, with this reason. */
  readonly skipReason: string | undefined;
  /** The blamed fragment's new attempt count (retry class only). */
  readonly attempts: number | undefined;
  readonly outcome: SessionOutcomeDraft;
}

export function decideOnErrorAck(ack: ErrorAck, blamed: { readonly attempts: number } | undefined, maxAttemptsPerFragment: number): ErrorAckDecision {
  const errorClass = classifyAckError(ack.errorId);
  const what = `${errorClass.name} (ErrorId ${ack.errorId})`;
  switch (errorClass.action) {
    case 'skip':
      return { errorClass, skipReason: blamed === undefined ? undefined : `the service rejected it: ${what}`, attempts: undefined, outcome: { kind: 'reconnect', reason: what } };
    case 'reconnect':
      return { errorClass, skipReason: undefined, attempts: undefined, outcome: { kind: 'reconnect', reason: what } };
    case 'retry': {
      const attempts = blamed === undefined ? undefined : blamed.attempts + 1;
      return {
        errorClass,
        // Charged too often: skip it rather than block the stream for ever.
        skipReason: attempts !== undefined && attempts >= maxAttemptsPerFragment ? `gave up after ${attempts} attempts, last error ${what}` : undefined,
        attempts,
        outcome: {
          kind: 'failed',
          error: new KinesisVideoError('KVS_PUT_MEDIA_ERROR_ACK', `PutMedia reported ${what}; reconnecting to send it again.`, { awsError: String(ack.errorId) }),
          endpointSuspect: false,
          // STREAM_NOT_ACTIVE: describe the stream again (it may be UPDATING, or gone).
          streamSuspect: ack.errorId === 4008,
        },
      };
    }
    case 'stop': {
      const deleted = ack.errorId === 4507;
      const advice = deleted ? 'the stream was deleted; recreate it (or enable create) and restart the sink' : "fix the stream's KMS key (or its key policy) and restart the sink";
      return {
        errorClass,
        skipReason: undefined,
        attempts: undefined,
        outcome: {
          kind: 'stopped',
          error: new KinesisVideoError(deleted ? 'KVS_STREAM_DELETED' : 'KVS_KMS_ERROR', `PutMedia reported ${what}: ${advice}.`, {
            awsError: String(ack.errorId),
            retryable: false,
          }),
        },
      };
    }
  }
}
