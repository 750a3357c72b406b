/**
 * When one PutMedia connection must end by the clock: it did not connect in time, a graceful end did not
 * drain in time, it went stale (outstanding data, and neither an ACK nor write progress for `stalenessMs`),
 * or it reached its rotation time. Kept apart from the session so the timing rules are one pure decision the
 * watchdog asks for on each tick (testable with plain numbers), not checks spread through the socket code.
 */
import { KinesisVideoError } from './errors.js';
import type { SessionTiming } from './session-outcome.js';

/**
 * The connection's age limit less this connection's jitter, or earlier if the signing credentials expire
 * first; those still give a connection 30 s (PIC's minimum streaming-token life).
 */
export function rotationDeadline(openedAtMs: number, timing: SessionTiming, credentialsExpireAtMs: number | undefined): number {
  const byAge = openedAtMs + timing.maxConnectionMs - timing.rotationJitterMs;
  const byCredentials =
    credentialsExpireAtMs === undefined ? Number.POSITIVE_INFINITY : Math.max(credentialsExpireAtMs - timing.credentialsGraceMs, openedAtMs + 30_000);
  return Math.min(byAge, byCredentials);
}

export interface ConnectionClocks {
  readonly connectionId: number;
  readonly openedAt: number;
  readonly connected: boolean;
  readonly drainingSince: number | undefined;
  /** A fragment's bytes are being written right now. */
  readonly writing: boolean;
  readonly unconfirmed: number;
  readonly lastLivenessAt: number;
  readonly sentCount: number;
  readonly rotateAt: number;
}

export type Deadline =
  | { readonly kind: 'none' }
  /** Connect timeout or staleness: the host behind a cached endpoint may be the problem, so it is suspect. */
  | { readonly kind: 'failed'; readonly error: KinesisVideoError }
  /** The drain timed out: unconfirmed fragments stay in the store and go out again on the next connection. */
  | { readonly kind: 'drained' }
  | { readonly kind: 'rotate' };

const NONE: Deadline = { kind: 'none' };

export function passedDeadline(c: ConnectionClocks, now: number, timing: SessionTiming): Deadline {
  if (!c.connected) {
    if (now - c.openedAt < timing.connectTimeoutMs) return NONE;
    return { kind: 'failed', error: new KinesisVideoError('KVS_PUT_MEDIA_CONNECTION_FAILED', `PutMedia could not connect within ${timing.connectTimeoutMs} ms.`) };
  }
  if (c.drainingSince !== undefined) return now - c.drainingSince >= timing.drainTimeoutMs ? { kind: 'drained' } : NONE;
  const outstanding = c.writing || c.unconfirmed > 0;
  if (outstanding && now - c.lastLivenessAt >= timing.stalenessMs) {
    return {
      kind: 'failed',
      error: new KinesisVideoError(
        'KVS_PUT_MEDIA_STALE',
        `PutMedia connection ${c.connectionId} is stale: no ACK and no write progress for ${now - c.lastLivenessAt} ms with ${c.unconfirmed} fragment(s) unconfirmed.`,
      ),
    };
  }
  // Rotation waits for one fragment on this connection, so an early rotation time cannot spin.
  return c.sentCount > 0 && now >= c.rotateAt ? { kind: 'rotate' } : NONE;
}
