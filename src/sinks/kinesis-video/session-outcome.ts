/** What one PutMedia session needs to know about time, and what it tells the sender when it ends. */
import type { KinesisVideoError } from './errors.js';
import type { SessionEndReason } from './events.js';

export interface SessionTiming {
  /** Rotate after this long (default 40 min; the service cuts connections at 45, kvs.md §1.4). */
  readonly maxConnectionMs: number;
  /** Subtracted from maxConnectionMs for this connection (the sender draws it from the RNG). */
  readonly rotationJitterMs: number;
  /** Outstanding data and neither an ACK nor write progress for this long: reconnect. */
  readonly stalenessMs: number;
  readonly connectTimeoutMs: number;
  /** How long a graceful end waits for the ACKs of fragments in flight and the end of the response. */
  readonly drainTimeoutMs: number;
  /** Period of the watchdog that checks all of the above. */
  readonly watchdogIntervalMs: number;
  /** Rotate this long before the signing credentials expire. */
  readonly credentialsGraceMs: number;
}

export type SessionOutcome =
  /** Ended cleanly; connect again at once. */
  | { readonly kind: 'ended'; readonly reason: SessionEndReason; readonly progress: number }
  /** An ERROR ACK that blames the connection or a fragment now skipped; connect again after a backoff. */
  | { readonly kind: 'reconnect'; readonly reason: string; readonly progress: number }
  /** The link or the service failed; back off, then connect again. */
  | {
      readonly kind: 'failed';
      readonly error: KinesisVideoError;
      readonly progress: number;
      /** Ask GetDataEndpoint again before the next attempt. */
      readonly endpointSuspect: boolean;
      /** Describe the stream again before the next attempt. */
      readonly streamSuspect: boolean;
    }
  /** Nothing will succeed until a person changes something. */
  | { readonly kind: 'stopped'; readonly error: KinesisVideoError; readonly progress: number }
  /** end('closing'): the sink is closing. */
  | { readonly kind: 'aborted'; readonly progress: number };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An outcome before the session adds its progress count. */
export type SessionOutcomeDraft = DistributiveOmit<SessionOutcome, 'progress'>;
