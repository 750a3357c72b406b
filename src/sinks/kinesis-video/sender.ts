/**
 * The sender: keeps one PutMedia connection going for as long as there is video to deliver.
 *
 * Each turn: make sure the stream exists (DescribeStream, CreateStream if asked), take the first fragment
 * the schedule wants, get the data endpoint (cached), run a session, and act on its outcome:
 *  - ended (rotation, schedule, header change): connect again at once;
 *  - reconnect (an ERROR ACK skipped a fragment or blamed the connection): connect again after backoff;
 *  - failed (refused, reset, stale, HTTP error, control plane down): back off with full jitter and retry,
 *    for ever: every outage ends in a reconnect, which replays from the first fragment not yet confirmed;
 *  - stopped (stream deleted, KMS key unusable, access denied, stream missing without create): report the
 *    error and stop sending. Recording into the store goes on, so a restart after the fix loses nothing
 *    the ring still holds.
 * The backoff attempt counter resets whenever a connection confirms a fragment.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import { mathRng, systemClock } from '../../core/clock.js';
import type { CredentialProvider } from '../../aws/credentials.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { KinesisVideoControlPlane, StreamDescription, StreamRef } from './control-plane.js';
import { createDeliverySchedule, type BacklogOrder, type LiveFirstOptions } from './delivery-schedule.js';
import { KinesisVideoError } from './errors.js';
import type { KvsEventListener } from './events.js';
import type { FragmentStore } from './fragment-store.js';
import type { PutMediaPayloadSigning } from './put-media-request.js';
import { PutMediaSession } from './put-media-session.js';
import type { SessionTiming } from './session-outcome.js';

export const DEFAULT_SESSION_TIMING: SessionTiming = {
  maxConnectionMs: 40 * 60_000,
  rotationJitterMs: 0,
  stalenessMs: 30_000,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 15_000,
  watchdogIntervalMs: 1_000,
  credentialsGraceMs: 60_000,
};

export interface SenderOptions {
  readonly store: FragmentStore;
  readonly controlPlane: Pick<KinesisVideoControlPlane, 'ensureStream' | 'putMediaEndpoint' | 'invalidateEndpoint'>;
  readonly stream: StreamRef;
  readonly region: string;
  readonly credentials: CredentialProvider;
  readonly userAgent?: string;
  readonly payloadSigning?: PutMediaPayloadSigning;
  readonly backlog?: BacklogOrder;
  readonly liveFirst?: LiveFirstOptions;
  readonly timing?: Partial<Omit<SessionTiming, 'rotationJitterMs'>> & {
    /** Most jitter taken off maxConnectionMs per connection (default min(10%, 3 min), as PIC). */
    readonly maxRotationJitterMs?: number;
  };
  readonly backoff?: BackoffPolicy;
  /** Retry-class ERROR ACKs one fragment may cause before it is skipped (default 10). */
  readonly maxAttemptsPerFragment?: number;
  /** Fragments sent and not yet confirmed, at most (default 16). */
  readonly maxInFlight?: number;
  /** Override what DescribeStream's retention implies (PERSISTED, or RECEIVED when retention is 0). */
  readonly freeOn?: 'PERSISTED' | 'RECEIVED';
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly sleep?: Sleep;
  readonly onEvent?: KvsEventListener;
}

export type SenderState = 'starting' | 'connected' | 'backing-off' | 'stopped' | 'closed';

export interface SenderStats {
  readonly state: SenderState;
  readonly connections: number;
  readonly failures: number;
  readonly lastError: KinesisVideoError | undefined;
  readonly stream: StreamDescription | undefined;
}

const defaultSleep: Sleep = (ms, signal) => sleepTimer(ms, undefined, signal === undefined ? {} : { signal });

export class KinesisVideoSender {
  private readonly o: SenderOptions;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly sleep: Sleep;
  private readonly emit: KvsEventListener;
  private readonly timing: SessionTiming;
  private readonly maxJitterMs: number;
  private readonly abort = new AbortController();
  private readonly attempts = new Map<number, number>();
  private current: PutMediaSession | undefined;
  private loopPromise: Promise<void> | undefined;
  private closing = false;
  private state: SenderState = 'starting';
  private connections = 0;
  private failures = 0;
  private lastError: KinesisVideoError | undefined;
  private description: StreamDescription | undefined;
  private stopError: KinesisVideoError | undefined;

  constructor(options: SenderOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.rng = options.rng ?? mathRng;
    this.sleep = options.sleep ?? defaultSleep;
    this.emit = options.onEvent ?? (() => {});
    this.timing = { ...DEFAULT_SESSION_TIMING, ...options.timing };
    this.maxJitterMs = options.timing?.maxRotationJitterMs ?? Math.min(0.1 * this.timing.maxConnectionMs, 3 * 60_000);
  }

  /** Starts delivering in the background. `done` settles when the sender closes or stops. */
  start(): void {
    this.loopPromise ??= this.loop();
  }

  /** Resolves when the sender has closed, or stopped on an error nothing but a person can fix (returned). */
  get done(): Promise<KinesisVideoError | undefined> {
    return (this.loopPromise ?? Promise.resolve()).then(() => this.stopError);
  }

  stats(): SenderStats {
    return { state: this.state, connections: this.connections, failures: this.failures, lastError: this.lastError, stream: this.description };
  }

  /**
   * Stops sending: the connection in progress stops taking fragments and waits (up to drainTimeoutMs) for the
   * ACKs of those in flight. Whatever is unconfirmed stays in the store for the next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.current !== undefined) this.current.end('closing');
    else this.abort.abort(new KinesisVideoError('KVS_SINK_CLOSED', 'The sender is closing.'));
    await this.loopPromise;
    this.abort.abort();
    this.state = 'closed';
  }

  private async loop(): Promise<void> {
    const { store, controlPlane } = this.o;
    const schedule = createDeliverySchedule(this.o.backlog ?? 'oldest-first', store, { clock: this.clock, sleep: this.sleep }, this.o.liveFirst);
    const signal = this.abort.signal;
    let attempt = 0;
    while (!this.closing) {
      try {
        this.description ??= await controlPlane.ensureStream(signal);
        const cursor = schedule.startSession();
        const first = await cursor.next(signal);
        if (first === undefined || this.closing) continue;
        const endpoint = await controlPlane.putMediaEndpoint(signal);
        if (this.closing) break;
        this.connections += 1;
        const connectionId = this.connections;
        this.emit({ type: 'connecting', connectionId, endpoint, kind: cursor.kind, firstSeq: first.seq });
        const freeOn = this.o.freeOn ?? (this.description.dataRetentionInHours === 0 ? 'RECEIVED' : 'PERSISTED');
        const session = new PutMediaSession({
          connectionId,
          request: {
            endpoint,
            stream: this.o.stream,
            region: this.o.region,
            credentials: this.o.credentials,
            ...(this.o.userAgent === undefined ? {} : { userAgent: this.o.userAgent }),
            ...(this.o.payloadSigning === undefined ? {} : { payloadSigning: this.o.payloadSigning }),
          },
          store,
          cursor,
          first,
          freeOn,
          attempts: this.attempts,
          maxAttemptsPerFragment: this.o.maxAttemptsPerFragment ?? 10,
          maxInFlight: this.o.maxInFlight ?? 16,
          timing: { ...this.timing, rotationJitterMs: Math.floor(this.rng.next() * this.maxJitterMs) },
          clock: this.clock,
          sleep: this.sleep,
          onEvent: this.emit,
        });
        this.current = session;
        this.state = 'connected';
        const outcome = await session.run();
        this.current = undefined;
        if (outcome.progress > 0) attempt = 0;
        switch (outcome.kind) {
          case 'ended':
            continue;
          case 'aborted':
            return;
          case 'stopped':
            this.stop(outcome.error);
            return;
          case 'reconnect':
            await this.backOff(attempt, new KinesisVideoError('KVS_PUT_MEDIA_ERROR_ACK', `Reconnecting after ${outcome.reason}.`));
            attempt += 1;
            continue;
          case 'failed':
            this.failures += 1;
            if (outcome.endpointSuspect) controlPlane.invalidateEndpoint();
            if (outcome.streamSuspect) this.description = undefined;
            schedule.noteOutage();
            await this.backOff(attempt, outcome.error);
            attempt += 1;
            continue;
        }
      } catch (error) {
        this.current = undefined;
        if (this.closing) return;
        const e =
          error instanceof KinesisVideoError
            ? error
            : new KinesisVideoError('KVS_CONTROL_PLANE_FAILED', `Kinesis Video sender: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        if (!e.retryable) {
          this.stop(e);
          return;
        }
        this.failures += 1;
        // The control plane was unreachable: the link is down, and the data endpoint may be stale too.
        controlPlane.invalidateEndpoint();
        schedule.noteOutage();
        try {
          await this.backOff(attempt, e);
        } catch {
          return;
        }
        attempt += 1;
      }
    }
  }

  private async backOff(attempt: number, error: KinesisVideoError): Promise<void> {
    if (this.closing) return;
    this.lastError = error;
    this.state = 'backing-off';
    const delayMs = backoffDelay(attempt, this.rng, this.o.backoff);
    this.emit({ type: 'retrying', attempt, delayMs, error });
    try {
      await this.sleep(delayMs, this.abort.signal);
    } catch (e) {
      if (!this.closing) throw e;
    }
  }

  private stop(error: KinesisVideoError): void {
    this.lastError = error;
    this.stopError = error;
    this.state = 'stopped';
    this.emit({ type: 'stopped', error });
  }
}
