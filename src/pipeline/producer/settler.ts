/**
 * Settling records once a request's outcome is known (results.ts decides each entry's fate, this
 * carries it out): acknowledged in the spool once their entry is stored, the entry re-queued after a
 * backoff if it failed, records dead-lettered with a reason if they can never be delivered, or the
 * entries handed to parking on a configuration error.
 *
 * It also keeps the read-ahead count (records and bytes read from the spool and not yet settled) and
 * the flush() waiters, because both move exactly when records are acknowledged. Where records go
 * back into the lanes stays the sender's business: it is reached through `SettlerHost`.
 */
import type { Clock } from '../../core/clock.js';
import { KedgeError } from '../../core/errors.js';
import type { Classification } from '../../retry/classify.js';
import type { RetryPolicy } from '../../retry/retry-policy.js';
import type { Spool } from '../../spool/types.js';
import type { ShardRateLimiter } from '../rate-limiter.js';
import type { BuiltRequest } from './batcher.js';
import type { DeadLetterSink } from './dead-letter.js';
import { entryRecords, type SendEntry } from './entry.js';
import type { Emit } from './events.js';
import type { Parking } from './parking.js';
import type { PendingRecord } from './pending.js';
import { applyOutcomes, applyRequestError, errorMessage, type ResultActions } from './results.js';
import type { RetryQueue } from './retry-queue.js';
import type { ShardMapRefresher } from './shard-map-refresher.js';
import type { ProducerCounters } from './stats.js';
import type { EntryOutcome, SinkTransport } from './transport.js';

/** The part of the sender's options settling needs (SenderOptions is a superset). */
export interface SettlerOptions {
  readonly spool: Spool;
  readonly transport: SinkTransport;
  readonly refresher: ShardMapRefresher | undefined;
  readonly limiter: ShardRateLimiter | undefined;
  readonly policy: RetryPolicy;
  readonly parking: Parking;
  readonly deadLetters: DeadLetterSink;
  readonly counters: ProducerCounters;
  readonly clock: Clock;
  readonly emit: Emit;
  readonly perKey: boolean;
  readonly recordTtlMs: number;
  readonly kind: 'kinesis' | 'firehose';
}

/** What settling needs from the sender's loop. */
export interface SettlerHost {
  /**
   * Puts entries back at the front of their lanes (with `reroute`, their records routed again); a lane
   * is held back until `notBeforeMs`.
   */
  requeue(entries: readonly SendEntry[], notBeforeMs?: number, reroute?: boolean): void;
  /** Routes records again into new entries at the front of their lanes; a lane is held back until `notBeforeMs`. */
  requeueRecords(records: readonly PendingRecord[], notBeforeMs?: number): void;
  /** Delivered entries: nothing holds them any more (their buffers may be reused). */
  released(entries: readonly SendEntry[]): void;
  /** Keeps a background promise so stop() can wait for it. */
  track(task: Promise<unknown>): void;
  wakeUp(): void;
  emitError(error: unknown): void;
}

/** How long to wait after a background failure (a spool read, a dead-letter write) before trying again. */
export const BACKGROUND_RETRY_MS = 1_000;

interface AckWaiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Settler implements ResultActions {
  readonly #o: SettlerOptions;
  readonly #retries: RetryQueue;
  readonly #host: SettlerHost;
  readonly #ackWaiters: AckWaiter[] = [];
  #heldRecords = 0;
  #heldBytes = 0;

  constructor(options: SettlerOptions, retries: RetryQueue, host: SettlerHost) {
    this.#o = options;
    this.#retries = retries;
    this.#host = host;
  }

  get heldRecords(): number {
    return this.#heldRecords;
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Counts a record read from the spool until it is acknowledged (the read-ahead bound). */
  hold(size: number): void {
    this.#heldRecords += 1;
    this.#heldBytes += size;
  }

  // ── flush() waiters ──────────────────────────────────────────────────────────────────────────

  /** Resolves once every seq up to `seq` is acknowledged in the spool (delivered, dead-lettered or dropped). */
  whenAcknowledged(seq: number, stopping: boolean): Promise<void> {
    if (this.#o.spool.stats().ackedThrough >= seq) return Promise.resolve();
    if (stopping) return Promise.reject(closedError());
    return new Promise((resolve, reject) => this.#ackWaiters.push({ seq, resolve, reject }));
  }

  /** Resolves the waiters the spool's mark has passed (it may also move without us: drop-oldest). */
  checkAckWaiters(): void {
    if (this.#ackWaiters.length === 0) return;
    const mark = this.#o.spool.stats().ackedThrough;
    for (let i = this.#ackWaiters.length - 1; i >= 0; i--) {
      const waiter = this.#ackWaiters[i]!;
      if (waiter.seq <= mark) {
        this.#ackWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** At stop: whatever is still waiting will not be delivered by this producer. */
  rejectAckWaiters(): void {
    const closed = closedError();
    for (const waiter of this.#ackWaiters.splice(0)) waiter.reject(closed);
  }

  // ── one request's outcome ────────────────────────────────────────────────────────────────────

  onResponse(request: BuiltRequest, outcomes: readonly EntryOutcome[]): void {
    const parked = this.#o.parking.info;
    if (this.#o.parking.onSuccess() && parked !== undefined) {
      this.#o.emit('resumed', { code: parked.code, parkedMs: this.#o.clock.now() - parked.sinceMs });
    }
    this.#o.policy.recordSuccess();
    applyOutcomes(request, outcomes, this);
  }

  /** A request failed as a whole (the sender has already left out the failures of closing). */
  onRequestError(request: BuiltRequest, error: unknown, isProbe: boolean): void {
    const verdict = applyRequestError(request, error, this);
    if (verdict.kind === 'configuration') this.#onConfigurationError(verdict.entries, verdict.classification, verdict.message, isProbe);
  }

  #onConfigurationError(entries: SendEntry[], classification: Classification, message: string, isProbe: boolean): void {
    const parking = this.#o.parking;
    entries = this.#withoutExpired(entries, classification.code);
    // Requests that were already in flight when the first one parked us are not checks of their own.
    if (parking.state === 'parked' && !isProbe) {
      this.#host.requeue(entries);
      return;
    }
    const before = parking.state;
    const verdict = parking.onConfigurationError(classification.code, message);
    const info = parking.info!;
    if (verdict === 'dead-letter') {
      const seconds = Math.round((this.#o.clock.now() - info.sinceMs) / 1000);
      this.deadLetterEntries(
        entries,
        `${this.#o.transport.describe()} answered ${classification.code} (${message}) for ${info.checks} checks over ${seconds} s; ` +
          'dead-lettered instead of retried forever.',
        classification.code,
      );
    } else {
      this.#host.requeue(entries);
    }
    if (verdict === 'park' || before !== parking.state) {
      this.#o.emit('parked', { state: parking.state, code: info.code, message: info.message, checks: info.checks, sinceMs: info.sinceMs, nextCheckAtMs: info.nextCheckAtMs });
    }
  }

  // ── settling records (ResultActions) ─────────────────────────────────────────────────────────

  deliver(entries: SendEntry[]): void {
    let records = 0;
    for (const entry of entries) records += entry.count;
    this.#acknowledgeEntries(entries);
    this.#o.counters.delivered += records;
    this.#o.counters.deliveredEntries += entries.length;
    this.#o.emit('delivered', { records, entries: entries.length });
    this.#host.released(entries);
  }

  retry(entries: SendEntry[], classification: Classification, possibleDuplicates: boolean, reroute = false): void {
    const now = this.#o.clock.now();
    if (possibleDuplicates) this.#o.counters.possibleDuplicates += countRecords(entries);
    const live = this.#withoutExpired(entries, classification.code);
    if (live.length === 0) return;
    let retriesSoFar = 0;
    for (const entry of live) if (entry.attempts - 1 > retriesSoFar) retriesSoFar = entry.attempts - 1;
    const decision = this.#o.policy.decide({ classification, retriesSoFar });
    let delayMs: number;
    if (decision.retry) {
      delayMs = decision.delayMs;
    } else if (decision.reason === 'budget-exhausted') {
      // Keep the data; wait until the budget affords a retry.
      delayMs = decision.waitMs ?? BACKGROUND_RETRY_MS;
    } else {
      this.deadLetterEntries(live, `Gave up after ${retriesSoFar + 1} attempts (${decision.reason}); the last one failed with ${classification.code}.`, 'ATTEMPTS_EXHAUSTED');
      return;
    }
    const records = countRecords(live);
    this.#o.counters.retried += records;
    this.#o.emit('retried', { records, code: classification.code, errorClass: classification.errorClass, delayMs, possibleDuplicates });
    this.#schedule(live, now + delayMs, reroute);
  }

  /**
   * Dead-letters the records whose TTL has passed (RECORD_EXPIRED) and returns the entries that hold
   * none; the live records of a partly expired entry go back to their lanes in new entries.
   */
  #withoutExpired(entries: SendEntry[], lastError: string): SendEntry[] {
    const ttl = this.#o.recordTtlMs;
    if (!Number.isFinite(ttl)) return entries;
    const now = this.#o.clock.now();
    const live: SendEntry[] = [];
    const expired: PendingRecord[] = [];
    const survivors: PendingRecord[] = [];
    for (const entry of entries) {
      let oldest = Number.POSITIVE_INFINITY;
      for (let i = entry.count; i < 2 * entry.count; i++) if (entry.meta[i]! < oldest) oldest = entry.meta[i]!;
      if (now - oldest < ttl) {
        live.push(entry);
        continue;
      }
      for (const record of entryRecords(entry, this.#o.kind === 'kinesis')) (now - record.acceptedAtMs >= ttl ? expired : survivors).push(record);
    }
    if (expired.length > 0) {
      this.deadLetter(expired, `Record TTL of ${ttl} ms passed; the last attempt failed with ${lastError}.`, 'RECORD_EXPIRED');
    }
    if (survivors.length > 0) this.#host.requeueRecords(survivors);
    return live;
  }

  throttled(shardId: string | undefined, entries: number): void {
    this.#o.counters.throttled += entries;
    if (shardId !== undefined) this.#o.limiter?.onThrottled(shardId);
  }

  shardMapStale(): void {
    this.#o.refresher?.invalidate();
  }

  /** Per-key: the lane waits (nothing of it may overtake). Otherwise: the entries wait aside, the lane flows. */
  #schedule(entries: readonly SendEntry[], dueAtMs: number, reroute: boolean): void {
    if (this.#o.perKey) this.#host.requeue(entries, dueAtMs, reroute);
    else this.#retries.add({ dueAtMs, entries, reroute, records: [] });
  }

  #scheduleRecords(records: readonly PendingRecord[], dueAtMs: number): void {
    if (this.#o.perKey) this.#host.requeueRecords(records, dueAtMs);
    else this.#retries.add({ dueAtMs, entries: [], reroute: false, records });
  }

  /** Dead-letters every record of the entries (deadLetter). */
  deadLetterEntries(entries: readonly SendEntry[], reason: string, code: string): void {
    const records: PendingRecord[] = [];
    for (const entry of entries) for (const record of entryRecords(entry, this.#o.kind === 'kinesis')) records.push(record);
    this.deadLetter(records, reason, code);
  }

  /** Acknowledged only once the dead-letter line is durable, so a record is never just lost. */
  deadLetter(records: readonly PendingRecord[], reason: string, code: string): void {
    const sink = this.#o.deadLetters;
    const task = sink.write(records, reason, code).then(
      (lines) => {
        this.#acknowledge(records);
        this.#o.counters.deadLettered += records.length;
        this.#o.emit('dead-lettered', { records: records.length, reason, code, path: sink.path, ...(sink.path === undefined ? { lines } : {}) });
      },
      (error: unknown) => {
        // Not written: nothing is acknowledged; try the records again later (they may be delivered, or dead-lettered then).
        this.#host.emitError(new KedgeError('DEAD_LETTER_WRITE_FAILED', `Writing ${records.length} records to the dead-letter file ${sink.path ?? ''} failed: ${errorMessage(error)}`, { cause: error }));
        this.#scheduleRecords(records, this.#o.clock.now() + BACKGROUND_RETRY_MS);
        this.#host.wakeUp();
      },
    );
    this.#host.track(task);
  }

  #acknowledgeEntries(entries: readonly SendEntry[]): void {
    let n = 0;
    let bytes = 0;
    for (const entry of entries) {
      n += entry.count;
      bytes += entry.recordBytes;
    }
    const seqs = new Float64Array(n);
    let at = 0;
    for (const entry of entries) {
      seqs.set(entry.meta.subarray(0, entry.count), at);
      at += entry.count;
    }
    this.#acknowledgeSeqs(seqs, bytes);
  }

  #acknowledge(records: readonly PendingRecord[]): void {
    const seqs = new Float64Array(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      seqs[i] = records[i]!.seq;
      bytes += records[i]!.size;
    }
    this.#acknowledgeSeqs(seqs, bytes);
  }

  /** Acknowledges the seqs in the spool, as runs of consecutive seqs (one ack call per run). */
  #acknowledgeSeqs(seqs: Float64Array, bytes: number): void {
    const n = seqs.length;
    if (n === 0) return;
    seqs.sort();
    const spool = this.#o.spool;
    let start = seqs[0]!;
    let previous = start;
    for (let i = 1; i < n; i++) {
      const seq = seqs[i]!;
      if (seq === previous + 1 || seq === previous) {
        previous = seq;
        continue;
      }
      spool.ack(start, previous);
      start = previous = seq;
    }
    spool.ack(start, previous);
    this.#heldRecords -= n;
    this.#heldBytes -= bytes;
    this.checkAckWaiters();
  }
}

function countRecords(entries: readonly SendEntry[]): number {
  let n = 0;
  for (const entry of entries) n += entry.count;
  return n;
}

function closedError(): KedgeError {
  return new KedgeError('PRODUCER_CLOSED', 'The producer closed before these records were delivered; a disk spool keeps them for the next start.');
}
