/**
 * One PutMedia connection: writes a fresh MKV stream header, then fragments from the store as the cursor
 * hands them out, reads the ACKs that stream back, frees confirmed fragments, and ends with an outcome that
 * tells the sender what to do next. It never hangs: a single watchdog (on the injected clock and sleep)
 * ends the connection when it fails to connect, goes stale (outstanding data and no ACK nor write progress
 * for `stalenessMs`), reaches its rotation time, or fails to drain; and every socket or response failure ends
 * it too.
 *
 * A graceful end (rotation, schedule, header change) stops taking fragments, finishes the chunked body, and
 * waits for the ACKs of what is in flight, so the next connection does not send them again.
 * This file is the write pump and the socket's life; what each ACK frees is in-flight-acks.ts, and when the
 * clock ends a connection is connection-deadlines.ts.
 */
import { once } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock, Sleep } from '../../core/clock.js';
import type { SessionCursor } from './delivery-schedule.js';
import { endOfFragmentTags, startsWithUnknownSizeCluster } from './end-of-fragment.js';
import { KinesisVideoError } from './errors.js';
import type { KvsEventListener, SessionEndReason } from './events.js';
import type { FragmentStore, StoredFragment } from './fragment-store.js';
import { unlessAborted } from './abortable.js';
import { passedDeadline, rotationDeadline } from './connection-deadlines.js';
import { InFlightAcks } from './in-flight-acks.js';
import { describeHttpFailure } from './put-media-http-error.js';
import type { SessionOutcome, SessionOutcomeDraft, SessionTiming } from './session-outcome.js';
import { openPutMediaRequest, type PutMediaRequestOptions } from './put-media-request.js';

export interface PutMediaSessionOptions {
  readonly connectionId: number;
  readonly request: Omit<PutMediaRequestOptions, 'nowMs' | 'producerStartMs'>;
  readonly store: FragmentStore;
  readonly cursor: SessionCursor;
  /** Already taken from the cursor: decides the stream header and the producer start timestamp. */
  readonly first: StoredFragment;
  /** Free fragments on PERSISTED, or on RECEIVED for a stream with no retention (no PERSISTED comes). */
  readonly freeOn: 'PERSISTED' | 'RECEIVED';
  /** Retry-class ERROR ACKs charged per fragment seq; shared across connections by the sender. */
  readonly attempts: Map<number, number>;
  /** Charged this many times, a fragment is skipped instead of blocking the stream for ever. */
  readonly maxAttemptsPerFragment: number;
  /** At most this many fragments sent but not yet confirmed; more waits (and lets staleness show). */
  readonly maxInFlight: number;
  readonly timing: SessionTiming;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly onEvent: KvsEventListener;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** Runs one PutMedia connection to its end. `end()` asks for a graceful end from outside (sink closing). */
export class PutMediaSession {
  private readonly o: PutMediaSessionOptions;
  /** Aborted when the session is over: cancels writes, waits and the watchdog. */
  private readonly hard = new AbortController();
  /** Aborted to interrupt idle waits (cursor, in-flight cap) when a graceful end is requested. */
  private soft = new AbortController();
  private readonly inFlight: InFlightAcks;
  private request: ClientRequest | undefined;
  private outcome: SessionOutcomeDraft | undefined;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private gracefulReason: SessionEndReason | undefined;
  private drainingSince: number | undefined;
  private connected = false;
  private responded = false;
  private writing = false;
  private sentCount = 0;
  private openedAt = 0;
  private lastLivenessAt = 0;
  private rotateAt = Number.POSITIVE_INFINITY;

  constructor(options: PutMediaSessionOptions) {
    this.o = options;
    this.inFlight = new InFlightAcks({
      ...options,
      isLive: () => !this.done,
      onLiveness: () => (this.lastLivenessAt = options.clock.now()),
      onErrorOutcome: (outcome) => (outcome.kind === 'failed' ? this.fail(outcome.error, outcome.endpointSuspect, outcome.streamSuspect) : this.finish(outcome)),
    });
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /** Ends gracefully: no new fragments, in-flight ones drain, then the connection closes. */
  end(reason: SessionEndReason): void {
    this.requestGracefulEnd(reason);
  }

  async run(): Promise<SessionOutcome> {
    this.openedAt = this.o.clock.now();
    this.lastLivenessAt = this.openedAt;
    void this.watchdog();
    // Not awaited past `finished`: every wait in the loop is abortable, but a credential provider that hangs
    // must not hold the sender; the loop sees `done` and returns on its own.
    this.sendLoop().catch((error: unknown) => this.fail(toKvsError(error), false));
    await this.finished;
    this.hard.abort();
    const outcome = this.outcome!;
    const ended =
      outcome.kind === 'ended'
        ? { reason: outcome.reason }
        : outcome.kind === 'reconnect'
          ? { reason: 'reconnect' as const, detail: outcome.reason }
          : outcome.kind === 'failed' || outcome.kind === 'stopped'
            ? { reason: outcome.kind, error: outcome.error, detail: outcome.error.message }
            : { reason: 'aborted' as const };
    this.o.onEvent({ type: 'session-ended', connectionId: this.o.connectionId, ...ended });
    return { ...outcome, progress: this.inFlight.confirmed } as SessionOutcome;
  }

  private get done(): boolean {
    return this.outcome !== undefined;
  }

  private finish(outcome: SessionOutcomeDraft): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.soft.abort();
    this.hard.abort();
    this.request?.destroy();
    this.inFlight.wake();
    this.resolveFinished();
  }

  /** The outcome of a graceful end that has run its course. */
  private endedGracefully(): void {
    const reason = this.gracefulReason ?? 'schedule';
    this.finish(reason === 'closing' ? { kind: 'aborted' } : { kind: 'ended', reason });
  }

  private fail(error: KinesisVideoError, endpointSuspect: boolean, streamSuspect = false): void {
    if (this.gracefulReason === 'closing') {
      this.finish({ kind: 'aborted' });
      return;
    }
    this.finish({ kind: 'failed', error, endpointSuspect, streamSuspect });
  }

  private requestGracefulEnd(reason: SessionEndReason): void {
    if (this.done || this.gracefulReason !== undefined) return;
    this.gracefulReason = reason;
    this.soft.abort();
  }

  // ---------------------------------------------------------------- sending

  private async sendLoop(): Promise<void> {
    const { store, first, clock } = this.o;
    const opened = await openPutMediaRequest({ ...this.o.request, nowMs: clock.now(), producerStartMs: first.fragmentTimecodeMs });
    if (this.done) {
      opened.request.destroy();
      return;
    }
    this.request = opened.request;
    this.rotateAt = rotationDeadline(this.openedAt, this.o.timing, opened.credentialsExpireAtMs);
    this.attachRequest(opened.request);
    await this.waitConnected(opened.request);
    if (this.done) return;
    this.o.onEvent({ type: 'connected', connectionId: this.o.connectionId });

    // A fresh MKV header at the start of every connection (kvs.md §2.3: one Segment per PutMedia).
    const headerId = first.headerId;
    let header: Buffer;
    try {
      header = await store.readHeader(headerId);
    } catch (error) {
      // Without its stream header a fragment can never be sent: skip it, or the sender would retry it for ever.
      const reason = `its stream header cannot be read: ${(error as Error).message}`;
      this.o.onEvent({ type: 'fragment-skipped', fragment: first, reason });
      await store.release(first.seq, 'skipped', reason).catch(() => {});
      this.finish({ kind: 'reconnect', reason });
      return;
    }
    await this.write(header);
    let lastTimecode: number | undefined;
    let next: StoredFragment | undefined = first;
    while (!this.done && this.gracefulReason === undefined) {
      if (next === undefined) {
        next = await this.idleWait(this.o.cursor.next(this.soft.signal));
        if (next === undefined) {
          if (this.gracefulReason === undefined && !this.done) this.requestGracefulEnd('schedule');
          break;
        }
      }
      // Rotation waits for one fragment on this connection, so an early rotation time cannot spin.
      if (this.sentCount > 0 && clock.now() >= this.rotateAt) {
        this.requestGracefulEnd('rotation');
        break;
      }
      // A new Segment would need a new connection anyway; so would a timecode that went backwards (4004
      // is checked within one PutMedia call only), e.g. after an NTP step on a board without an RTC.
      if (next.headerId !== headerId) {
        this.requestGracefulEnd('header-change');
        break;
      }
      if (lastTimecode !== undefined && next.fragmentTimecodeMs <= lastTimecode) {
        this.requestGracefulEnd('timecode-regress');
        break;
      }
      while (this.inFlight.size >= this.o.maxInFlight && !this.done && this.gracefulReason === undefined) {
        await this.idleWait(this.inFlight.changed());
      }
      if (this.done || this.gracefulReason !== undefined) break;
      const sent = await this.sendFragment(next);
      if (sent !== 'skipped') {
        lastTimecode = next.fragmentTimecodeMs;
        // Nothing more to send right now: close an unknown-size cluster so the service confirms it without
        // waiting for the next fragment (see end-of-fragment.ts).
        if (sent === 'open-cluster' && this.o.store.nextAfter(next.seq) === undefined && !this.done) await this.write(endOfFragmentTags());
      }
      next = undefined;
    }
    if (this.done) return;
    await this.drain();
  }

  /** Waits for `promise` unless a graceful or hard end interrupts it (then resolves undefined). */
  private idleWait<T>(promise: Promise<T>): Promise<T | undefined> {
    return unlessAborted(promise, this.soft.signal);
  }

  /**
   * Streams one fragment from disk. 'skipped' if it was dropped before any byte went out; 'open-cluster' if
   * it is an unknown-size cluster, whose end the service cannot see by itself.
   */
  private async sendFragment(fragment: StoredFragment): Promise<'sent' | 'open-cluster' | 'skipped'> {
    const entry = this.inFlight.track(fragment);
    this.writing = true;
    let wrote = false;
    let openCluster = false;
    try {
      for await (const chunk of this.o.store.readPayload(fragment.seq)) {
        if (!wrote) openCluster = startsWithUnknownSizeCluster(chunk);
        wrote = true;
        // The store reuses the chunk's buffer once the socket has taken its bytes.
        await this.write(chunk, () => this.o.store.releaseChunk(chunk));
        if (this.done) return 'skipped';
      }
    } catch (error) {
      const e = toKvsError(error);
      if (!wrote && (e.code === 'KVS_FRAGMENT_CORRUPT' || e.code === 'KVS_FRAGMENT_GONE')) {
        // Evicted or corrupt (already counted by the store): nothing was sent, carry on with the next one.
        this.inFlight.untrack(fragment);
        if (e.code === 'KVS_FRAGMENT_CORRUPT') this.o.onEvent({ type: 'fragment-skipped', fragment, reason: e.message });
        return 'skipped';
      }
      throw e;
    } finally {
      this.writing = false;
    }
    entry.flushed = true;
    this.sentCount += 1;
    this.o.onEvent({ type: 'fragment-sent', connectionId: this.o.connectionId, fragment });
    return openCluster ? 'open-cluster' : 'sent';
  }

  /** `written`: called once the socket is done with `chunk` (flushed to the kernel, or failed); never if not written. */
  private async write(chunk: Buffer, written?: () => void): Promise<void> {
    const req = this.request!;
    if (this.done) return;
    const ok = req.write(chunk, (error) => {
      // Flushed to the kernel: the link is taking data, whatever the ACKs say.
      if (error === undefined || error === null) this.lastLivenessAt = this.o.clock.now();
      written?.();
    });
    if (!ok && !this.done) {
      try {
        await once(req, 'drain', { signal: this.hard.signal });
      } catch (error) {
        if (!this.done) throw error;
      }
    }
  }

  private async drain(): Promise<void> {
    const req = this.request!;
    this.drainingSince = this.o.clock.now();
    // The terminating zero-length chunk: the service finishes the last cluster and answers what it has.
    await this.idleWaitHard(new Promise<void>((resolve) => req.end(resolve)));
    while (!this.done && this.inFlight.size > 0) await this.inFlight.changed();
    // Everything is confirmed. The session ends when the service ends its response (onConnectionClosed) or at
    // the drain timeout, not before: with one PutMedia connection per stream, a next connection that overlaps
    // this one would be refused with ConnectionLimitExceededException.
  }

  // ---------------------------------------------------------------- connection and response

  private attachRequest(req: ClientRequest): void {
    req.on('error', (error: NodeJS.ErrnoException) => {
      const beforeResponse = !this.responded;
      const code = error.code ?? 'ERROR';
      this.fail(
        new KinesisVideoError(
          'KVS_PUT_MEDIA_CONNECTION_FAILED',
          `PutMedia connection ${this.o.connectionId} failed: ${code} ${error.message}`,
          { cause: error },
        ),
        beforeResponse && (CONNECTION_ERRORS.has(code) || !this.connected),
      );
    });
    req.on('close', () => {
      if (!this.done) this.onConnectionClosed('the connection closed');
    });
    req.on('response', (res) => this.onResponse(res));
  }

  private async waitConnected(req: ClientRequest): Promise<void> {
    const socket: Socket | undefined = req.socket ?? (await this.idleWaitHard(once(req, 'socket').then(([s]) => s as Socket)));
    if (socket === undefined || this.done) return;
    if (socket.connecting) await this.idleWaitHard(once(socket, 'connect'));
    if (!this.done) this.connected = true;
  }

  /** Waits for `promise` unless the session is over. */
  private idleWaitHard<T>(promise: Promise<T>): Promise<T | undefined> {
    return unlessAborted(promise, this.hard.signal);
  }

  private onResponse(res: IncomingMessage): void {
    this.responded = true;
    if (res.statusCode !== 200) {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 4096) parts.push(c);
        size += c.length;
      });
      const report = (): void => {
        const failure = describeHttpFailure(res.statusCode ?? 0, res.headers, Buffer.concat(parts).toString('utf8'), this.o.connectionId);
        if (failure.stop) this.finish({ kind: 'stopped', error: failure.error });
        else this.fail(failure.error, failure.endpointSuspect, failure.streamSuspect);
      };
      res.on('end', report);
      res.on('error', report);
      res.on('aborted', report);
      return;
    }
    res.on('data', (chunk: Buffer) => this.inFlight.feed(chunk));
    res.on('end', () => {
      this.inFlight.end();
      if (!this.done) this.onConnectionClosed('the service ended the response');
    });
    res.on('error', () => {
      if (!this.done) this.onConnectionClosed('the response failed');
    });
  }

  private onConnectionClosed(what: string): void {
    if (this.done) return;
    if (this.drainingSince !== undefined) {
      // We ended the body; the service answered what it had and closed. What is unconfirmed is resent.
      this.endedGracefully();
      return;
    }
    if (!this.writing && this.inFlight.size === 0 && this.sentCount > 0) {
      // The service closes a connection that had no data for 30 s (kvs.md §1.4): nothing was lost.
      this.finish({ kind: 'ended', reason: 'server-closed-idle' });
      return;
    }
    this.fail(
      new KinesisVideoError(
        'KVS_PUT_MEDIA_CONNECTION_FAILED',
        `PutMedia connection ${this.o.connectionId}: ${what} with ${this.inFlight.size} fragment(s) unconfirmed; they will be sent again.`,
      ),
      !this.responded,
    );
  }

  // ---------------------------------------------------------------- watchdog

  private async watchdog(): Promise<void> {
    const { clock, sleep, timing, connectionId } = this.o;
    while (!this.done) {
      try {
        await sleep(timing.watchdogIntervalMs, this.hard.signal);
      } catch {
        return;
      }
      if (this.done) return;
      const { openedAt, connected, drainingSince, writing, lastLivenessAt, sentCount, rotateAt } = this;
      const clocks = { connectionId, openedAt, connected, drainingSince, writing, unconfirmed: this.inFlight.size, lastLivenessAt, sentCount, rotateAt };
      const deadline = passedDeadline(clocks, clock.now(), timing);
      if (deadline.kind === 'failed') {
        // Endpoint suspect: one GetDataEndpoint call is cheap next to reconnecting to a bad host again.
        this.fail(deadline.error, true);
        return;
      }
      if (deadline.kind === 'drained') this.endedGracefully();
      else if (deadline.kind === 'rotate') this.requestGracefulEnd('rotation');
    }
  }
}

function toKvsError(error: unknown): KinesisVideoError {
  if (error instanceof KinesisVideoError) return error;
  const e = error as NodeJS.ErrnoException;
  return new KinesisVideoError('KVS_PUT_MEDIA_CONNECTION_FAILED', `PutMedia failed: ${e?.code ?? ''} ${e?.message ?? String(error)}`.trim(), {
    cause: error,
  });
}
