/**
 * The sender: reads records from the spool, routes them to lanes (one per predicted shard), builds
 * requests (batcher.ts) under the linger time and every limit, and keeps a bounded number in flight.
 * What happens to each record once its request is answered (acknowledged, re-queued after a backoff,
 * dead-lettered) is settler.ts.
 *
 * One loop, one coarse timer (the injected Sleep), no per-record timers or promises. The loop sleeps
 * until the earliest of: new spool entries, a response, a lane's linger or rate-limit deadline, a
 * retry coming due, a parked re-check, a shard map refresh, flush() or close().
 *
 * Memory is bounded whatever the backlog: at most `maxHeldRecords` / `maxHeldBytes` are read ahead
 * (queued, in flight or waiting to retry); the rest waits on disk.
 */
import type { Sleep } from '../../core/clock.js';
import { KedgeError } from '../../core/errors.js';
import type { SpoolEntry } from '../../spool/types.js';
import type { Batcher, BuiltRequest } from './batcher.js';
import { decodeRecord } from './envelope.js';
import { LaneSet, type Router } from './lanes.js';
import type { PendingRecord } from './pending.js';
import { errorMessage } from './results.js';
import { RetryQueue } from './retry-queue.js';
import { BACKGROUND_RETRY_MS, Settler, type SettlerOptions } from './settler.js';

/** What settling needs (SettlerOptions), plus what reading, batching and sending need. */
export interface SenderOptions extends SettlerOptions {
  readonly batcher: Batcher;
  readonly router: Router;
  readonly sleep: Sleep;
  readonly lingerMs: number;
  readonly maxEntries: number;
  /** Collected bytes that make a request worth sending before the linger time. */
  readonly triggerBytes: number;
  /** Records of an aggregating lane do not fill a request by count. */
  readonly aggregating: boolean;
  readonly maxInFlightRequests: number;
  readonly maxHeldRecords: number;
  readonly maxHeldBytes: number;
  readonly readBatchBytes: number;
  readonly maxRecordBytes: number;
  readonly kind: 'kinesis' | 'firehose';
}

const READ_BATCH_ENTRIES = 2_000;

export class Sender {
  readonly #o: SenderOptions;
  readonly #lanes = new LaneSet();
  readonly #retries = new RetryQueue();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #settler: Settler;
  #readNext: number;
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
    this.#settler = new Settler(options, this.#retries, {
      requeue: (records, notBeforeMs) => this.#enqueueFront(records, notBeforeMs),
      track: (task) => this.#track(task),
      wakeUp: () => this.#wakeUp(),
      emitError: (error) => this.#emitError(error),
    });
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  get held(): number {
    return this.#settler.heldRecords;
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
    return this.#settler.whenAcknowledged(seq, this.#stopping);
  }

  /** The spool's mark may have moved without us (drop-oldest). */
  checkAckWaiters(): void {
    this.#settler.checkAckWaiters();
  }

  /** Stops sending; requests in flight are aborted (their records stay in the spool). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#abort.abort(new KedgeError('PRODUCER_CLOSED', 'The producer is closing.'));
    this.#wakeUp();
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    this.checkAckWaiters();
    this.#settler.rejectAckWaiters();
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
    const settler = this.#settler;
    return !this.#stopping && settler.heldRecords < this.#o.maxHeldRecords && settler.heldBytes < this.#o.maxHeldBytes;
  }

  async #fill(): Promise<boolean> {
    if (!this.#roomToRead()) return false;
    const spool = this.#o.spool;
    if (spool.stats().nextSeq <= this.#readNext) return false;
    const result = await spool.read(this.#readNext, {
      maxEntries: Math.min(READ_BATCH_ENTRIES, this.#o.maxHeldRecords - this.#settler.heldRecords),
      maxBytes: Math.max(1, Math.min(this.#o.readBatchBytes, this.#o.maxHeldBytes - this.#settler.heldBytes)),
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
      this.#settler.hold(raw);
      this.#settler.deadLetter([raw], errorMessage(error), (error as { code?: string }).code ?? 'SPOOL_ENVELOPE_INVALID');
      return;
    }
    this.#settler.hold(record);
    if (record.size > this.#o.maxRecordBytes) {
      this.#settler.deadLetter(
        [record],
        `Record of ${record.size} bytes is larger than this sink's maxRecordBytes (${this.#o.maxRecordBytes}); it was accepted under other limits.`,
        'RECORD_TOO_LARGE',
      );
    } else if (now - record.acceptedAtMs >= this.#o.recordTtlMs) {
      this.#settler.deadLetter([record], `Record TTL of ${this.#o.recordTtlMs} ms passed before it could be sent.`, 'RECORD_EXPIRED');
    } else {
      this.#enqueue(record);
    }
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
        (outcomes) => this.#settler.onResponse(request, outcomes),
        (error: unknown) => {
          this.#o.counters.requestsFailed += 1;
          // Closing: the records stay unacknowledged in the spool and go out on the next start.
          if (!this.#stopping) this.#settler.onRequestError(request, error, isProbe);
        },
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

  #emitError(error: unknown): void {
    this.#o.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}
