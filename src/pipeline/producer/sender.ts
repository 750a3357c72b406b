/**
 * The sender: reads records from the spool, routes them to lanes (one per predicted shard), builds
 * requests (batcher.ts) under the linger time and every limit, keeps a bounded number in flight, and
 * settles each record: acknowledged in the spool once its entry is stored, re-queued after a backoff
 * if its entry failed, dead-lettered with a reason if it can never be delivered.
 *
 * One loop, one coarse timer (the injected Sleep), no per-record timers or promises. The loop sleeps
 * until the earliest of: new spool entries, a response, a lane's linger or rate-limit deadline, a
 * retry coming due, a parked re-check, a shard map refresh, flush() or close().
 *
 * Memory is bounded whatever the backlog: at most `maxHeldRecords` / `maxHeldBytes` are read ahead
 * (queued, in flight or waiting to retry); the rest waits on disk.
 */
import type { Clock, Sleep } from '../../core/clock.js';
import { KedgeError } from '../../core/errors.js';
import type { Classification } from '../../retry/classify.js';
import type { RetryPolicy } from '../../retry/retry-policy.js';
import type { Spool, SpoolEntry } from '../../spool/types.js';
import type { ShardRateLimiter } from '../rate-limiter.js';
import type { Batcher, BuiltRequest } from './batcher.js';
import type { DeadLetterSink } from './dead-letter.js';
import { decodeRecord } from './envelope.js';
import type { Emit } from './events.js';
import { LaneSet, type Router } from './lanes.js';
import type { Parking } from './parking.js';
import type { PendingRecord } from './pending.js';
import { applyOutcomes, applyRequestError, errorMessage, type ResultActions } from './results.js';
import { RetryQueue } from './retry-queue.js';
import type { ShardMapRefresher } from './shard-map-refresher.js';
import type { ProducerCounters } from './stats.js';
import type { EntryOutcome, SinkTransport } from './transport.js';

export interface SenderOptions {
  readonly spool: Spool;
  readonly transport: SinkTransport;
  readonly batcher: Batcher;
  readonly router: Router;
  readonly refresher: ShardMapRefresher | undefined;
  readonly limiter: ShardRateLimiter | undefined;
  readonly policy: RetryPolicy;
  readonly parking: Parking;
  readonly deadLetters: DeadLetterSink;
  readonly counters: ProducerCounters;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly emit: Emit;
  readonly lingerMs: number;
  readonly maxEntries: number;
  /** Collected bytes that make a request worth sending before the linger time. */
  readonly triggerBytes: number;
  /** Records of an aggregating lane do not fill a request by count. */
  readonly aggregating: boolean;
  readonly perKey: boolean;
  readonly maxInFlightRequests: number;
  readonly maxHeldRecords: number;
  readonly maxHeldBytes: number;
  readonly readBatchBytes: number;
  readonly recordTtlMs: number;
  readonly maxRecordBytes: number;
  readonly kind: 'kinesis' | 'firehose';
}

/** How long to wait after a background failure (a spool read, a dead-letter write) before trying again. */
const BACKGROUND_RETRY_MS = 1_000;
const READ_BATCH_ENTRIES = 2_000;

interface AckWaiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Sender implements ResultActions {
  readonly #o: SenderOptions;
  readonly #lanes = new LaneSet();
  readonly #retries = new RetryQueue();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #ackWaiters: AckWaiter[] = [];
  #readNext: number;
  #heldRecords = 0;
  #heldBytes = 0;
  #inFlight = 0;
  #probeInFlight = false;
  #routedGeneration = 0;
  #forcing = 0;
  #stopping = false;
  #wake: (() => void) | undefined;
  #wakePending = false;
  #loop: Promise<void> | undefined;

  constructor(options: SenderOptions) {
    this.#o = options;
    this.#readNext = options.spool.stats().ackedThrough + 1;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  get held(): number {
    return this.#heldRecords;
  }

  get inFlightRequests(): number {
    return this.#inFlight;
  }

  /** Makes every lane due (flush, close) until the matching `endForcing`. */
  beginForcing(): void {
    this.#forcing += 1;
    this.#wakeUp();
  }

  endForcing(): void {
    this.#forcing -= 1;
  }

  /** Resolves once every seq up to `seq` is acknowledged in the spool (delivered, dead-lettered or dropped). */
  whenAcknowledged(seq: number): Promise<void> {
    if (this.#o.spool.stats().ackedThrough >= seq) return Promise.resolve();
    if (this.#stopping) return Promise.reject(new KedgeError('PRODUCER_CLOSED', 'The producer closed before these records were delivered; a disk spool keeps them for the next start.'));
    return new Promise((resolve, reject) => this.#ackWaiters.push({ seq, resolve, reject }));
  }

  /** The spool's mark may have moved without us (drop-oldest). */
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

  /** Stops sending; requests in flight are aborted (their records stay in the spool). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#abort.abort(new KedgeError('PRODUCER_CLOSED', 'The producer is closing.'));
    this.#wakeUp();
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    this.checkAckWaiters();
    const closed = new KedgeError('PRODUCER_CLOSED', 'The producer closed before these records were delivered; a disk spool keeps them for the next start.');
    for (const waiter of this.#ackWaiters.splice(0)) waiter.reject(closed);
  }

  // ── the loop ─────────────────────────────────────────────────────────────────────────────────

  async #run(): Promise<void> {
    // Kinesis: try for a shard map before routing anything, so a backlog is aggregated from the start.
    const first = this.#o.refresher?.refreshIfDue(this.#abort.signal);
    if (first) await first;
    while (!this.#stopping) {
      try {
        this.#startShardMapRefresh();
        this.#releaseRetries(this.#o.clock.now());
        this.#rerouteIfMapChanged();
        const read = await this.#fill();
        const wakeAtMs = this.#dispatch(this.#o.clock.now());
        if (read) continue;
        await this.#idle(wakeAtMs);
      } catch (error) {
        this.#emitError(error);
        await this.#idle(this.#o.clock.now() + BACKGROUND_RETRY_MS);
      }
    }
  }

  async #idle(wakeAtMs: number): Promise<void> {
    if (this.#wakePending || this.#stopping) {
      this.#wakePending = false;
      return;
    }
    const controller = new AbortController();
    const waits: Promise<unknown>[] = [new Promise<void>((resolve) => (this.#wake = resolve))];
    if (this.#roomToRead()) waits.push(this.#o.spool.waitForEntries(this.#readNext, controller.signal));
    const delayMs = wakeAtMs - this.#o.clock.now();
    if (Number.isFinite(delayMs)) waits.push(this.#o.sleep(Math.max(1, Math.ceil(delayMs)), controller.signal).catch(() => undefined));
    await Promise.race(waits);
    controller.abort();
    this.#wake = undefined;
    this.#wakePending = false;
  }

  #wakeUp(): void {
    const wake = this.#wake;
    if (wake === undefined) {
      this.#wakePending = true;
      return;
    }
    this.#wake = undefined;
    wake();
  }

  #track(task: Promise<unknown>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  // ── reading from the spool ───────────────────────────────────────────────────────────────────

  #roomToRead(): boolean {
    return !this.#stopping && this.#heldRecords < this.#o.maxHeldRecords && this.#heldBytes < this.#o.maxHeldBytes;
  }

  async #fill(): Promise<boolean> {
    if (!this.#roomToRead()) return false;
    const spool = this.#o.spool;
    if (spool.stats().nextSeq <= this.#readNext) return false;
    const result = await spool.read(this.#readNext, {
      maxEntries: Math.min(READ_BATCH_ENTRIES, this.#o.maxHeldRecords - this.#heldRecords),
      maxBytes: Math.max(1, Math.min(this.#o.readBatchBytes, this.#o.maxHeldBytes - this.#heldBytes)),
    });
    if (this.#stopping) return false;
    let expect = this.#readNext;
    const now = this.#o.clock.now();
    for (const entry of result.entries) {
      // Seqs the reader skipped were found corrupt (the spool counted them): settle them so the mark moves on.
      if (entry.seq > expect) spool.ack(expect, entry.seq - 1);
      expect = entry.seq + 1;
      this.#admit(entry, now);
    }
    if (result.next > expect) spool.ack(expect, result.next - 1);
    const moved = result.next !== this.#readNext;
    this.#readNext = result.next;
    this.checkAckWaiters();
    return moved;
  }

  #admit(entry: SpoolEntry, now: number): void {
    let record: PendingRecord;
    try {
      record = decodeRecord(entry.payload, entry.seq, this.#o.kind === 'kinesis', now);
    } catch (error) {
      const raw = { seq: entry.seq, data: entry.payload, partitionKey: '', explicitHashKey: undefined, size: entry.payload.length, acceptedAtMs: 0, attempts: 0, queuedAtMs: now };
      this.#hold(raw);
      this.#deadLetter([raw], errorMessage(error), (error as { code?: string }).code ?? 'SPOOL_ENVELOPE_INVALID');
      return;
    }
    this.#hold(record);
    if (record.size > this.#o.maxRecordBytes) {
      this.#deadLetter(
        [record],
        `Record of ${record.size} bytes is larger than this sink's maxRecordBytes (${this.#o.maxRecordBytes}); it was accepted under other limits.`,
        'RECORD_TOO_LARGE',
      );
    } else if (now - record.acceptedAtMs >= this.#o.recordTtlMs) {
      this.#deadLetter([record], `Record TTL of ${this.#o.recordTtlMs} ms passed before it could be sent.`, 'RECORD_EXPIRED');
    } else {
      this.#enqueue(record);
    }
  }

  #hold(record: PendingRecord): void {
    this.#heldRecords += 1;
    this.#heldBytes += record.size;
  }

  #enqueue(record: PendingRecord): void {
    const choice = this.#o.router.route(record);
    this.#lanes.push(this.#lanes.laneFor(choice.key, choice.shardId), record);
  }

  /** Puts records back at the front of their lanes (retries go before newer records). */
  #enqueueFront(records: readonly PendingRecord[], notBeforeMs = 0): void {
    const byLane = new Map<string, { shardId: string | undefined; records: PendingRecord[] }>();
    for (const record of records) {
      const choice = this.#o.router.route(record);
      let group = byLane.get(choice.key);
      if (group === undefined) byLane.set(choice.key, (group = { shardId: choice.shardId, records: [] }));
      group.records.push(record);
    }
    for (const [key, group] of byLane) {
      const lane = this.#lanes.laneFor(key, group.shardId);
      this.#lanes.unshift(lane, group.records);
      if (notBeforeMs > lane.notBeforeMs) lane.notBeforeMs = notBeforeMs;
    }
  }

  #releaseRetries(now: number): void {
    const due = this.#retries.releaseDue(now);
    if (due.length > 0) this.#enqueueFront(due);
  }

  #startShardMapRefresh(): void {
    const refresh = this.#o.refresher?.refreshIfDue(this.#abort.signal);
    if (refresh) this.#track(refresh.then(() => this.#wakeUp()));
  }

  /** A new shard map: route every queued record again (per-key: once nothing is in flight, so no key is overtaken). */
  #rerouteIfMapChanged(): void {
    const refresher = this.#o.refresher;
    if (refresher === undefined || refresher.generation === this.#routedGeneration) return;
    if (this.#o.perKey && this.#inFlight > 0) return;
    this.#routedGeneration = refresher.generation;
    for (const record of this.#lanes.drainAll()) this.#enqueue(record);
    const shardIds = [...this.#lanes.all()].map((lane) => lane.key);
    this.#o.limiter?.retainOnly(shardIds);
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────────

  /** Starts what may start now; returns the clock ms at which waiting lanes could move. */
  #dispatch(now: number): number {
    let wakeAtMs = Math.min(this.#retries.nextDueAtMs, this.#o.refresher?.dueAtMs ?? Number.POSITIVE_INFINITY);
    const parking = this.#o.parking;
    if (parking.state === 'parked') {
      // One probe at a time, when the re-check is due.
      if (this.#probeInFlight || this.#lanes.records === 0) return wakeAtMs;
      if (now < parking.nextCheckAtMs) return Math.min(wakeAtMs, parking.nextCheckAtMs);
      const built = this.#o.batcher.build(this.#lanes, now, true);
      if (built.request === undefined) return Math.min(wakeAtMs, built.wakeAtMs);
      this.#send(built.request, true);
      return wakeAtMs;
    }
    if (this.#o.perKey && this.#o.refresher !== undefined && this.#o.refresher.generation !== this.#routedGeneration) {
      return wakeAtMs; // a re-route waits for the requests in flight
    }
    while (this.#inFlight < this.#o.maxInFlightRequests && this.#lanes.records > 0) {
      const force = this.#forcing > 0;
      if (!force) {
        const readyAtMs = this.#collectionReadyAtMs();
        if (readyAtMs > now) {
          wakeAtMs = Math.min(wakeAtMs, readyAtMs);
          break;
        }
      }
      const built = this.#o.batcher.build(this.#lanes, now, force);
      wakeAtMs = Math.min(wakeAtMs, built.wakeAtMs);
      if (built.request === undefined) break;
      this.#send(built.request, false);
    }
    return wakeAtMs;
  }

  /**
   * When collected records are worth a request (KPL's collector): enough bytes for a good request,
   * a full request of unaggregated records, or the oldest record's linger time.
   */
  #collectionReadyAtMs(): number {
    const lanes = this.#lanes;
    if (lanes.bytes >= this.#o.triggerBytes) return 0;
    const rawMode = !this.#o.aggregating || this.#routedGeneration === 0;
    if (rawMode && lanes.records >= this.#o.maxEntries) return 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const lane of lanes.all()) {
      const queuedAt = lane.oldestQueuedAtMs;
      if (queuedAt !== undefined && queuedAt < oldest) oldest = queuedAt;
    }
    return oldest + this.#o.lingerMs;
  }

  #send(request: BuiltRequest, isProbe: boolean): void {
    const lanes = new Set(request.entries.map((entry) => entry.lane));
    for (const lane of lanes) lane.inFlight += 1;
    for (const entry of request.entries) for (const record of entry.records) record.attempts += 1;
    this.#inFlight += 1;
    if (isProbe) this.#probeInFlight = true;
    this.#o.counters.requestsSent += 1;
    const task = this.#o.transport
      .send(request.entries, this.#abort.signal)
      .then(
        (outcomes) => this.#onResponse(request, outcomes),
        (error: unknown) => this.#onRequestError(request, error, isProbe),
      )
      .catch((error: unknown) => this.#emitError(error))
      .finally(() => {
        for (const lane of lanes) lane.inFlight -= 1;
        this.#inFlight -= 1;
        if (isProbe) this.#probeInFlight = false;
        this.#wakeUp();
      });
    this.#track(task);
  }

  #onResponse(request: BuiltRequest, outcomes: readonly EntryOutcome[]): void {
    const parked = this.#o.parking.info;
    if (this.#o.parking.onSuccess() && parked !== undefined) {
      this.#o.emit('resumed', { code: parked.code, parkedMs: this.#o.clock.now() - parked.sinceMs });
    }
    this.#o.policy.recordSuccess();
    applyOutcomes(request, outcomes, this);
  }

  #onRequestError(request: BuiltRequest, error: unknown, isProbe: boolean): void {
    this.#o.counters.requestsFailed += 1;
    // Closing: the records stay unacknowledged in the spool and go out on the next start.
    if (this.#stopping) return;
    const verdict = applyRequestError(request, error, this);
    if (verdict.kind === 'configuration') this.#onConfigurationError(verdict.records, verdict.classification, verdict.message, isProbe);
  }

  #onConfigurationError(records: PendingRecord[], classification: Classification, message: string, isProbe: boolean): void {
    const parking = this.#o.parking;
    records = this.#withoutExpired(records, classification.code);
    // Requests that were already in flight when the first one parked us are not checks of their own.
    if (parking.state === 'parked' && !isProbe) {
      this.#enqueueFront(records);
      return;
    }
    const before = parking.state;
    const verdict = parking.onConfigurationError(classification.code, message);
    const info = parking.info!;
    if (verdict === 'dead-letter') {
      const seconds = Math.round((this.#o.clock.now() - info.sinceMs) / 1000);
      this.#deadLetter(
        records,
        `${this.#o.transport.describe()} answered ${classification.code} (${message}) for ${info.checks} checks over ${seconds} s; ` +
          'dead-lettered instead of retried forever.',
        classification.code,
      );
    } else {
      this.#enqueueFront(records);
    }
    if (verdict === 'park' || before !== parking.state) {
      this.#o.emit('parked', { state: parking.state, code: info.code, message: info.message, checks: info.checks, sinceMs: info.sinceMs, nextCheckAtMs: info.nextCheckAtMs });
    }
  }

  // ── settling records (ResultActions) ─────────────────────────────────────────────────────────

  deliver(records: PendingRecord[], entries: number): void {
    this.#acknowledge(records);
    this.#o.counters.delivered += records.length;
    this.#o.counters.deliveredEntries += entries;
    this.#o.emit('delivered', { records: records.length, entries });
  }

  retry(records: PendingRecord[], classification: Classification, possibleDuplicates: boolean): void {
    const now = this.#o.clock.now();
    if (possibleDuplicates) this.#o.counters.possibleDuplicates += records.length;
    const live = this.#withoutExpired(records, classification.code);
    if (live.length === 0) return;
    let retriesSoFar = 0;
    for (const record of live) if (record.attempts - 1 > retriesSoFar) retriesSoFar = record.attempts - 1;
    const decision = this.#o.policy.decide({ classification, retriesSoFar });
    let delayMs: number;
    if (decision.retry) {
      delayMs = decision.delayMs;
    } else if (decision.reason === 'budget-exhausted') {
      // Keep the data; wait until the budget affords a retry.
      delayMs = decision.waitMs ?? BACKGROUND_RETRY_MS;
    } else {
      this.#deadLetter(live, `Gave up after ${retriesSoFar + 1} attempts (${decision.reason}); the last one failed with ${classification.code}.`, 'ATTEMPTS_EXHAUSTED');
      return;
    }
    this.#o.counters.retried += live.length;
    this.#o.emit('retried', { records: live.length, code: classification.code, errorClass: classification.errorClass, delayMs, possibleDuplicates });
    for (const record of live) record.data = ownCopy(record.data);
    this.#schedule(live, now + delayMs);
  }

  /** Dead-letters the records whose TTL has passed (RECORD_EXPIRED) and returns the others. */
  #withoutExpired(records: PendingRecord[], lastError: string): PendingRecord[] {
    if (!Number.isFinite(this.#o.recordTtlMs)) return records;
    const now = this.#o.clock.now();
    const live: PendingRecord[] = [];
    const expired: PendingRecord[] = [];
    for (const record of records) (now - record.acceptedAtMs >= this.#o.recordTtlMs ? expired : live).push(record);
    if (expired.length > 0) {
      this.#deadLetter(expired, `Record TTL of ${this.#o.recordTtlMs} ms passed; the last attempt failed with ${lastError}.`, 'RECORD_EXPIRED');
    }
    return live;
  }

  throttled(shardId: string | undefined, entries: number): void {
    this.#o.counters.throttled += entries;
    if (shardId !== undefined) this.#o.limiter?.onThrottled(shardId);
  }

  shardMapStale(): void {
    this.#o.refresher?.invalidate();
  }

  /** Per-key: the lane waits (nothing of it may overtake). Otherwise: the records wait aside, the lane flows. */
  #schedule(records: readonly PendingRecord[], dueAtMs: number): void {
    if (this.#o.perKey) this.#enqueueFront(records, dueAtMs);
    else this.#retries.add(records, dueAtMs);
  }

  #deadLetter(records: readonly PendingRecord[], reason: string, code: string): void {
    const sink = this.#o.deadLetters;
    const task = sink.write(records, reason, code).then(
      (lines) => {
        this.#acknowledge(records);
        this.#o.counters.deadLettered += records.length;
        this.#o.emit('dead-lettered', { records: records.length, reason, code, path: sink.path, ...(sink.path === undefined ? { lines } : {}) });
      },
      (error: unknown) => {
        // Not written: nothing is acknowledged; try the records again later (they may be delivered, or dead-lettered then).
        this.#emitError(new KedgeError('DEAD_LETTER_WRITE_FAILED', `Writing ${records.length} records to the dead-letter file ${sink.path ?? ''} failed: ${errorMessage(error)}`, { cause: error }));
        this.#schedule(records, this.#o.clock.now() + BACKGROUND_RETRY_MS);
        this.#wakeUp();
      },
    );
    this.#track(task);
  }

  /** Acknowledges the records' seqs in the spool, as runs of consecutive seqs (one ack call per run). */
  #acknowledge(records: readonly PendingRecord[]): void {
    const n = records.length;
    if (n === 0) return;
    const seqs = new Float64Array(n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      seqs[i] = records[i]!.seq;
      bytes += records[i]!.size;
    }
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

  #emitError(error: unknown): void {
    this.#o.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}

/** A copy that owns its memory, so a retried record no longer pins the spool read buffer it came from. */
function ownCopy(data: Uint8Array): Uint8Array {
  if (data.byteOffset === 0 && data.buffer.byteLength === data.byteLength) return data;
  return new Uint8Array(data);
}
