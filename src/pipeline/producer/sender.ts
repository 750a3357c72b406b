/**
 * The sender: reads records from the spool, routes them to lanes (one per predicted shard), where
 * they are packed into entries at once (KPL aggregates per shard, lanes.ts), builds requests
 * (batcher.ts) under the linger time and every limit, and keeps a bounded number in flight. What
 * happens to each entry once its request is answered (acknowledged, re-queued after a backoff,
 * dead-lettered) is settler.ts.
 *
 * One loop, one coarse timer (the injected Sleep), no per-record timers, promises or objects: the
 * spool hands each record's bytes to a visitor that copies them into its lane's open aggregate.
 * The loop sleeps until the earliest of: new spool entries, a response, a lane's linger or
 * rate-limit deadline, a retry coming due, a parked re-check, a shard map refresh, flush() or close().
 *
 * Memory is bounded whatever the backlog: at most `maxHeldRecords` / `maxHeldBytes` are read ahead
 * (queued, in flight or waiting to retry); the rest waits on disk.
 */
import type { Sleep } from '../../core/clock.js';
import { KedgeError } from '../../core/errors.js';
import type { AggregateBuilderOptions } from '../aggregation/aggregate-builder.js';
import type { Batcher, BuiltRequest } from './batcher.js';
import { BufferRecycler } from './buffer-recycler.js';
import { entryRecords, type SendEntry } from './entry.js';
import { EnvelopeFields, readEnvelope } from './envelope.js';
import { KeyInterner } from './key-interner.js';
import { LaneSet, type Lane, type Router } from './lanes.js';
import type { PendingRecord } from './pending.js';
import { errorMessage } from './results.js';
import { RetryQueue } from './retry-queue.js';
import { BACKGROUND_RETRY_MS, Settler, type SettlerOptions } from './settler.js';

/** What settling needs (SettlerOptions), plus what reading, batching and sending need. */
export interface SenderOptions extends SettlerOptions {
  readonly batcher: Batcher;
  readonly router: Router;
  /** KPL aggregation limits for lanes of a known shard; undefined: every record is an entry of its own. */
  readonly aggregation: AggregateBuilderOptions | undefined;
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
}

const READ_BATCH_ENTRIES = 2_000;

export class Sender {
  readonly #o: SenderOptions;
  readonly #lanes: LaneSet;
  readonly #recycler: BufferRecycler | undefined;
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
  /** Reading state shared with the visitor: one object reused for every record read. */
  readonly #fields = new EnvelopeFields();
  readonly #keys = new KeyInterner();
  #expect = 0;
  #readAtMs = 0;
  readonly #visit = (seq: number, buf: Buffer, start: number, end: number): void => this.#admit(seq, buf, start, end);

  constructor(options: SenderOptions) {
    this.#o = options;
    const aggregateBytes = options.aggregation?.maxAggregateBytes;
    // As many as may be held at once (read ahead, queued, in flight): buffers are then never freed and
    // allocated again, which kept the C allocator's heap from fragmenting and growing.
    this.#recycler = aggregateBytes !== undefined ? new BufferRecycler(aggregateBytes, Math.ceil(options.maxHeldBytes / aggregateBytes) + 1) : undefined;
    this.#lanes = new LaneSet(options.router, options.aggregation, options.batcher.keyOrder, this.#recycler);
    this.#readNext = options.spool.stats().ackedThrough + 1;
    this.#settler = new Settler(options, this.#retries, {
      requeue: (entries, notBeforeMs, reroute) => this.#requeue(entries, notBeforeMs, reroute),
      requeueRecords: (records, notBeforeMs) => this.#requeueRecords(records, notBeforeMs),
      released: (entries) => {
        const recycler = this.#recycler;
        if (recycler !== undefined) for (const entry of entries) if (entry.aggregated) recycler.give(entry.data);
      },
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
    this.#expect = this.#readNext;
    this.#readAtMs = this.#o.clock.now();
    const next = await spool.scan(
      this.#readNext,
      {
        maxEntries: Math.min(READ_BATCH_ENTRIES, this.#o.maxHeldRecords - this.#settler.heldRecords),
        maxBytes: Math.max(1, Math.min(this.#o.readBatchBytes, this.#o.maxHeldBytes - this.#settler.heldBytes)),
      },
      this.#visit,
    );
    if (this.#stopping) return false;
    // Seqs the reader skipped at the end were found corrupt (the spool counted them): settle them so the mark moves on.
    if (next > this.#expect) spool.ack(this.#expect, next - 1);
    const moved = next !== this.#readNext;
    this.#readNext = next;
    this.checkAckWaiters();
    return moved;
  }

  /** One record read from the spool (the scan's visitor): decode, check, and copy into its lane. */
  #admit(seq: number, buf: Buffer, start: number, end: number): void {
    const spool = this.#o.spool;
    // Seqs the reader skipped were found corrupt (the spool counted them): settle them so the mark moves on.
    if (seq > this.#expect) spool.ack(this.#expect, seq - 1);
    this.#expect = seq + 1;
    const now = this.#readAtMs;
    const fields = this.#fields;
    fields.seq = seq;
    try {
      readEnvelope(buf, start, end, this.#o.kind === 'kinesis', fields, this.#keys);
    } catch (error) {
      const data = Buffer.from(buf.subarray(start, end));
      const raw = { seq, data, partitionKey: '', explicitHashKey: undefined, size: data.length, acceptedAtMs: 0, attempts: 0, queuedAtMs: now };
      this.#settler.hold(raw.size);
      this.#settler.deadLetter([raw], errorMessage(error), (error as { code?: string }).code ?? 'SPOOL_ENVELOPE_INVALID');
      return;
    }
    this.#settler.hold(fields.size);
    if (fields.size > this.#o.maxRecordBytes) {
      this.#settler.deadLetter(
        [this.#recordOf(fields, buf, now)],
        `Record of ${fields.size} bytes is larger than this sink's maxRecordBytes (${this.#o.maxRecordBytes}); it was accepted under other limits.`,
        'RECORD_TOO_LARGE',
      );
    } else if (now - fields.acceptedAtMs >= this.#o.recordTtlMs) {
      this.#settler.deadLetter([this.#recordOf(fields, buf, now)], `Record TTL of ${this.#o.recordTtlMs} ms passed before it could be sent.`, 'RECORD_EXPIRED');
    } else {
      this.#lanes.add(fields, buf, fields.dataStart, fields.dataEnd, this.#routedGeneration, now);
    }
  }

  /** A record that will not be sent, as an object of its own (rare paths). */
  #recordOf(fields: EnvelopeFields, buf: Buffer, now: number): PendingRecord {
    return {
      seq: fields.seq,
      data: Buffer.from(buf.subarray(fields.dataStart, fields.dataEnd)),
      partitionKey: fields.partitionKey,
      explicitHashKey: fields.explicitHashKey,
      size: fields.size,
      acceptedAtMs: fields.acceptedAtMs,
      attempts: 0,
      queuedAtMs: now,
    };
  }

  /** Puts entries back at the front of their lanes (retries go before newer entries). */
  #requeue(entries: readonly SendEntry[], notBeforeMs = 0, reroute = false): void {
    const again: PendingRecord[] = [];
    const byLane = new Map<Lane, SendEntry[]>();
    for (const entry of entries) {
      // Built for another shard map, or known to be on the wrong shard: its records are routed anew.
      if (reroute || entry.generation !== this.#routedGeneration) {
        for (const record of entryRecords(entry, this.#o.kind === 'kinesis')) again.push(record);
        continue;
      }
      const lane = this.#lanes.laneFor(entry.lane.key, entry.lane.shardId);
      let group = byLane.get(lane);
      if (group === undefined) byLane.set(lane, (group = []));
      group.push(entry);
    }
    for (const [lane, group] of byLane) {
      this.#lanes.unshift(lane, group);
      if (notBeforeMs > lane.notBeforeMs) lane.notBeforeMs = notBeforeMs;
    }
    if (again.length > 0) this.#requeueRecords(again, notBeforeMs);
  }

  #requeueRecords(records: readonly PendingRecord[], notBeforeMs = 0): void {
    for (const lane of this.#lanes.addFront(records, this.#routedGeneration)) {
      if (notBeforeMs > lane.notBeforeMs) lane.notBeforeMs = notBeforeMs;
    }
  }

  #releaseRetries(now: number): void {
    for (const item of this.#retries.releaseDue(now)) {
      if (item.entries.length > 0) this.#requeue(item.entries, 0, item.reroute);
      if (item.records.length > 0) this.#requeueRecords(item.records);
    }
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
    const records: PendingRecord[] = [];
    for (const entry of this.#lanes.drainAll(this.#routedGeneration)) for (const record of entryRecords(entry, this.#o.kind === 'kinesis')) records.push(record);
    if (records.length > 0) this.#requeueRecords(records);
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
      const built = this.#o.batcher.build(this.#lanes, now, true, this.#routedGeneration);
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
      const built = this.#o.batcher.build(this.#lanes, now, force, this.#routedGeneration);
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
    for (const entry of request.entries) entry.attempts += 1;
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
