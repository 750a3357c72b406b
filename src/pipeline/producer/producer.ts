/**
 * The producer SDK (DESIGN.md §3): `createProducer(options)` → `put`, `flush`, `close`, `stats`, and
 * events. It wires the parts: put() validates and packs the record (record-input.ts), waits at the
 * put gate if the spool is behind (put-gate.ts), and resolves once the spool has accepted it; the
 * sender (sender.ts) takes it from there to the service.
 *
 * The promise: a record that put() accepted is delivered, or dead-lettered with a reason, or dropped
 * by the spool's full-disk policy (counted) — whatever happens to the link, the process or the disk.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { mathRng, systemClock, type Clock, type Sleep } from '../../core/clock.js';
import { KedgeError } from '../../core/errors.js';
import { RetryBudget } from '../../retry/retry-budget.js';
import { RetryPolicy } from '../../retry/retry-policy.js';
import { timerSleep } from '../../retry/sleep.js';
import { openSpool } from '../../spool/index.js';
import type { Spool, SpoolDropEvent, SpoolOptions } from '../../spool/types.js';
import { ShardRateLimiter } from '../rate-limiter.js';
import { AppendBatcher } from './append-batcher.js';
import { Batcher } from './batcher.js';
import { DeadLetterFile, ReportOnlyDeadLetters, type DeadLetterSink } from './dead-letter.js';
import { FlushTimeoutError, ProducerClosedError, ProducerOptionsError } from './errors.js';
import type { ProducerEventMap } from './events.js';
import { ShardRouter, SingleLaneRouter } from './lanes.js';
import { nonNegative, positiveInteger, PRODUCER_DEFAULTS, resolveSink, type ProducerOptions, type ResolvedSink } from './options.js';
import { Parking } from './parking.js';
import { PutGate } from './put-gate.js';
import { PartitionKeySource, writeRecord, type PutOptions, type RecordInput, type RecordRules } from './record-input.js';
import { Sender } from './sender.js';
import { ShardMapRefresher } from './shard-map-refresher.js';
import { ProducerCounters, producerMetrics, stateOf, type ProducerStats } from './stats.js';
import type { SinkTransport } from './transport.js';

/** One spool append per event-loop turn of puts, cut at these sizes (a batch is admitted whole). */
const APPEND_BATCH_MAX_RECORDS = 4096;
const APPEND_BATCH_MAX_BYTES = 1024 * 1024;

export interface FlushOptions {
  /** Reject with FLUSH_TIMEOUT after this long (the records stay in the spool). Default: wait. */
  readonly timeoutMs?: number;
}

export interface CloseOptions {
  /** How long to try delivering what is accepted before closing (default: the producer's closeTimeoutMs). 0: close now. */
  readonly timeoutMs?: number;
}

export async function createProducer(options: ProducerOptions): Promise<Producer> {
  if (options === undefined || typeof options !== 'object') throw new ProducerOptionsError('createProducer needs an options object with at least `sink`.');
  const sink = resolveSink(options.sink);
  const transport = options.transport ?? (await openTransport(sink, options));
  const counters = new ProducerCounters();
  // The spool reports drops during open (torn tail) and later; the producer exists only after it opens.
  let producer: Producer | undefined;
  const spool = await openSpool(
    spoolOptions(options, (event) => {
      if (producer !== undefined) producer.onSpoolDrop(event);
      else countDrop(counters, event);
    }),
  );
  try {
    producer = new Producer({ ...options, transport }, sink, spool, counters);
    return producer;
  } catch (error) {
    transport.destroy();
    await spool.close();
    throw error;
  }
}

/** The sink's transport, loaded only for the sink in use (unused modules cost a Pi megabytes). */
async function openTransport(sink: ResolvedSink, options: ProducerOptions): Promise<SinkTransport> {
  const requestTimeoutMs = positiveInteger('requestTimeoutMs', options.requestTimeoutMs, PRODUCER_DEFAULTS.requestTimeoutMs);
  const maxInFlightRequests = positiveInteger('maxInFlightRequests', options.maxInFlightRequests, PRODUCER_DEFAULTS.maxInFlightRequests);
  // One keep-alive connection per request in flight, plus one for ListShards.
  const aws = { maxSockets: maxInFlightRequests + 1, ...options.aws };
  if (sink.kind === 'kinesis') {
    const { KinesisTransport } = await import('../../sinks/kinesis/transport.js');
    return new KinesisTransport({ streamName: sink.name, aws, requestTimeoutMs });
  }
  const { FirehoseTransport } = await import('../../sinks/firehose/transport.js');
  return new FirehoseTransport({ deliveryStreamName: sink.name, aws, requestTimeoutMs });
}

function spoolOptions(options: ProducerOptions, onDrop: (event: SpoolDropEvent) => void): SpoolOptions {
  const spool = options.spool ?? {};
  const maxPendingPuts = options.backpressure?.maxPendingPuts ?? PRODUCER_DEFAULTS.maxPendingPuts;
  const common = {
    ...(spool.maxSegmentBytes !== undefined ? { maxSegmentBytes: spool.maxSegmentBytes } : {}),
    ...(spool.onFull !== undefined ? { onFull: spool.onFull } : {}),
    // Our put gate bounds waiting puts; the spool must not refuse before it does.
    maxBlockedAppends: maxPendingPuts + 1,
    onDrop,
  };
  if (spool.dir === undefined || spool.memory === true) {
    if (spool.dir !== undefined) throw new ProducerOptionsError('spool.dir and spool.memory exclude each other; pass one.');
    return { memory: true, maxBytes: spool.maxBytes ?? PRODUCER_DEFAULTS.memorySpoolMaxBytes, ...common };
  }
  return {
    dir: spool.dir,
    ...(spool.maxBytes !== undefined ? { maxBytes: spool.maxBytes } : {}),
    ...(spool.fsync !== undefined ? { fsync: spool.fsync } : {}),
    ...(spool.fsyncIntervalMs !== undefined ? { fsyncIntervalMs: spool.fsyncIntervalMs } : {}),
    ...(spool.ledgerIntervalMs !== undefined ? { ledgerIntervalMs: spool.ledgerIntervalMs } : {}),
    ...common,
  };
}

function countDrop(counters: ProducerCounters, event: SpoolDropEvent): void {
  if (event.reason === 'spool-full') counters.dropped['spool-full'] += event.entries;
  else if (event.reason === 'corrupt') counters.dropped.corrupt += event.entries;
}

export class Producer extends EventEmitter<ProducerEventMap> {
  readonly #sink: ResolvedSink;
  readonly #spool: Spool;
  readonly #memorySpool: boolean;
  readonly #counters: ProducerCounters;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #rules: RecordRules;
  readonly #keys: PartitionKeySource;
  readonly #gate: PutGate;
  readonly #appends: AppendBatcher;
  readonly #transport: SinkTransport;
  readonly #deadLetters: DeadLetterSink;
  readonly #parking: Parking;
  readonly #router: ShardRouter | undefined;
  readonly #sender: Sender;
  readonly #closeTimeoutMs: number;
  #lastAppend: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #closed = false;

  /** Use createProducer(). */
  constructor(options: ProducerOptions, sink: ResolvedSink, spool: Spool, counters: ProducerCounters) {
    super();
    this.#sink = sink;
    this.#spool = spool;
    this.#memorySpool = options.spool?.dir === undefined || options.spool.memory === true;
    this.#counters = counters;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? timerSleep;
    const rng = options.rng ?? mathRng;
    this.#rules = { kind: sink.kind, maxRecordBytes: sink.maxRecordBytes, newline: sink.newline };
    this.#keys = new PartitionKeySource(`${randomBytes(6).toString('hex')}-`);
    const backpressure = options.backpressure ?? {};
    const onBackpressure = backpressure.onBackpressure ?? 'block';
    if (onBackpressure !== 'block' && onBackpressure !== 'reject') {
      throw new ProducerOptionsError(`backpressure.onBackpressure must be 'block' or 'reject', got ${JSON.stringify(onBackpressure)}.`);
    }
    this.#gate = new PutGate({
      maxPendingBytes: positiveInteger('backpressure.maxPendingBytes', backpressure.maxPendingBytes, PRODUCER_DEFAULTS.maxPendingBytes),
      maxPendingPuts: positiveInteger('backpressure.maxPendingPuts', backpressure.maxPendingPuts, PRODUCER_DEFAULTS.maxPendingPuts),
      onBackpressure,
      maxWaitingPuts: positiveInteger('backpressure.maxWaitingPuts', backpressure.maxWaitingPuts, PRODUCER_DEFAULTS.maxWaitingPuts),
    });
    this.#appends = new AppendBatcher(
      { appendFrames: (frames, count) => spool.appendFrames(frames, count), frameBuffer: (bytes) => spool.frameBuffer(bytes) },
      { settled: (records, bytes, error) => this.#settled(records, bytes, error) },
      APPEND_BATCH_MAX_RECORDS,
      Math.min(APPEND_BATCH_MAX_BYTES, Math.floor((options.spool?.maxBytes ?? PRODUCER_DEFAULTS.memorySpoolMaxBytes) / 4)),
    );
    const ordering = options.ordering ?? 'none';
    if (ordering !== 'none' && ordering !== 'per-key') throw new ProducerOptionsError(`ordering must be 'per-key' or 'none', got ${JSON.stringify(ordering)}.`);
    const perKey = ordering === 'per-key';
    const lingerMs = nonNegative('lingerMs', options.lingerMs, PRODUCER_DEFAULTS.lingerMs);
    const recordTtlMs = options.recordTtlMs === undefined ? Number.POSITIVE_INFINITY : positiveInteger('recordTtlMs', options.recordTtlMs, 1);
    this.#closeTimeoutMs = nonNegative('closeTimeoutMs', options.closeTimeoutMs, PRODUCER_DEFAULTS.closeTimeoutMs);
    const maxInFlightRequests = positiveInteger('maxInFlightRequests', options.maxInFlightRequests, PRODUCER_DEFAULTS.maxInFlightRequests);
    if (options.transport === undefined) throw new ProducerOptionsError('Producer needs a transport; use createProducer().');
    this.#transport = options.transport;
    const deadLetterPath = options.deadLetterPath ?? (options.spool?.dir !== undefined && !this.#memorySpool ? join(options.spool.dir, 'dead-letter.jsonl') : undefined);
    this.#deadLetters =
      deadLetterPath !== undefined ? new DeadLetterFile(deadLetterPath, this.#transport.describe(), this.#clock) : new ReportOnlyDeadLetters(this.#transport.describe(), this.#clock);

    const kinesisSink = sink.kind === 'kinesis' ? (options.sink as Extract<ProducerOptions['sink'], { type: 'kinesis' }>) : undefined;
    const limiter =
      kinesisSink !== undefined && kinesisSink.rateLimit !== false
        ? new ShardRateLimiter({ ...(kinesisSink.rateLimit ?? {}), clock: this.#clock, maxRecordBytes: sink.maxRecordBytes })
        : undefined;
    const listShards = this.#transport.listShards?.bind(this.#transport);
    this.#router = sink.kind === 'kinesis' && listShards !== undefined ? new ShardRouter() : undefined;
    const refresher = this.#router !== undefined && listShards !== undefined ? new ShardMapRefresher(listShards, this.#router, this.#clock) : undefined;
    const retry = options.retry ?? {};
    const budget = retry.budget === false ? undefined : new RetryBudget({ ...(retry.budget ?? {}), clock: this.#clock });
    const policy = new RetryPolicy({
      rng,
      clock: this.#clock,
      ...(retry.backoff ? { backoff: retry.backoff } : {}),
      ...(budget ? { budget } : {}),
      ...(retry.maxAttempts !== undefined ? { maxAttempts: positiveInteger('retry.maxAttempts', retry.maxAttempts, 1) } : {}),
    });
    this.#parking = new Parking(this.#clock, rng, options.parking);
    const limits = {
      maxEntries: sink.maxEntries,
      maxRequestBytes: sink.maxRequestBytes,
      targetRequestBytes: Math.min(sink.maxRequestBytes, PRODUCER_DEFAULTS.targetRequestBytes),
      lingerMs,
      keyOrder: perKey && sink.kind === 'kinesis',
      oneInFlightPerLane: perKey,
    };
    const aggregation = sink.aggregate
      ? { maxAggregateBytes: sink.maxAggregateBytes, maxRecordsPerAggregate: sink.maxAggregateRecords, maxRecordBytes: sink.maxRecordBytes }
      : undefined;
    this.#counters.recovered = spool.stats().entries;
    const maxHeldBytes = positiveInteger('maxHeldBytes', options.maxHeldBytes, PRODUCER_DEFAULTS.maxHeldBytes);
    this.#sender = new Sender({
      spool,
      transport: this.#transport,
      batcher: new Batcher(limits, limiter),
      router: this.#router ?? new SingleLaneRouter(),
      aggregation,
      refresher,
      limiter,
      policy,
      parking: this.#parking,
      deadLetters: this.#deadLetters,
      counters: this.#counters,
      clock: this.#clock,
      sleep: this.#sleep,
      emit: (event, ...args) => this.#emit(event, ...args),
      lingerMs,
      maxEntries: sink.maxEntries,
      triggerBytes: Math.min(sink.maxRequestBytes, PRODUCER_DEFAULTS.targetRequestBytes),
      aggregating: sink.aggregate,
      perKey,
      maxInFlightRequests,
      maxHeldRecords: positiveInteger('maxHeldRecords', options.maxHeldRecords, PRODUCER_DEFAULTS.maxHeldRecords),
      maxHeldBytes,
      // Records keep their spool read buffer alive until they settle: small reads pin little.
      readBatchBytes: Math.min(PRODUCER_DEFAULTS.readBatchBytes, Math.max(64 * 1024, Math.floor(maxHeldBytes / 4))),
      recordTtlMs,
      maxRecordBytes: sink.maxRecordBytes,
      kind: sink.kind,
    });
    this.#sender.start();
  }

  /**
   * Accepts one record: resolves once it is in the spool (fsynced per the spool's policy). Refuses
   * invalid records (stable codes: RECORD_TOO_LARGE, PARTITION_KEY_INVALID, EXPLICIT_HASH_KEY_INVALID,
   * RECORD_DATA_INVALID), and, per the options, records that find the producer full (SPOOL_FULL,
   * PRODUCER_BACKPRESSURE) or closed (PRODUCER_CLOSED).
   */
  put(record: RecordInput, options?: PutOptions): Promise<void> {
    if (this.#closing !== undefined) return this.#refuse(new ProducerClosedError('put'));
    const appends = this.#appends;
    let bytes: number;
    try {
      // Encoded straight into this turn's spool append (append-batcher.ts).
      bytes = writeRecord(record, options, this.#rules, this.#keys, this.#clock.now(), appends);
    } catch (error) {
      return this.#refuse(error);
    }
    let accepted: Promise<void>;
    if (this.#gate.tryAdmit(bytes)) {
      accepted = appends.promise;
    } else {
      // The gate says wait: the record leaves this turn's batch and joins a later one once let in.
      const envelope = appends.retractLast();
      accepted = this.#gate.wait(bytes).then(
        () => appends.add(envelope),
        (error: unknown) => this.#refuse(error),
      );
    }
    // Appends settle in order (FIFO gate, FIFO spool), so the last one settling means all earlier ones have.
    this.#lastAppend = accepted;
    return accepted;
  }

  /** Resolves once every record accepted before the call is delivered or dead-lettered (or dropped and counted). */
  async flush(options: FlushOptions = {}): Promise<void> {
    await this.#lastAppend.catch(() => undefined);
    const target = this.#spool.stats().nextSeq - 1;
    const done = this.#sender.whenAcknowledged(target);
    if (this.#closed) {
      if (this.#spool.stats().ackedThrough >= target) return;
      throw new ProducerClosedError('flush');
    }
    this.#sender.beginForcing();
    try {
      if (options.timeoutMs === undefined) {
        await done;
        return;
      }
      const controller = new AbortController();
      const timedOut = this.#sleep(options.timeoutMs, controller.signal).then(
        () => true,
        () => false,
      );
      const finished = await Promise.race([done.then(() => false), timedOut]);
      controller.abort();
      if (finished) {
        const stats = this.stats();
        throw new FlushTimeoutError(
          `flush() gave up after ${options.timeoutMs} ms: ${stats.spool.entries} records are not delivered yet (state ${stats.state}` +
            `${stats.parked ? `: ${stats.parked.code} ${stats.parked.message}` : ''}). They stay in the spool.`,
        );
      }
    } finally {
      this.#sender.endForcing();
    }
  }

  /**
   * Stops accepting records, tries to deliver what is accepted (up to `timeoutMs`; not while parked),
   * then stops the sender and closes the spool. A disk spool keeps whatever is left for the next
   * start; a memory spool's leftovers are counted as dropped ('memory-spool-closed').
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutDown(options.timeoutMs ?? this.#closeTimeoutMs);
    return this.#closing;
  }

  stats(): ProducerStats {
    return {
      state: stateOf(this.#closing !== undefined, this.#closed, this.#parking.state),
      parked: this.#parking.info,
      accepted: this.#counters.accepted,
      rejected: { ...this.#counters.rejected },
      recovered: this.#counters.recovered,
      delivered: this.#counters.delivered,
      deliveredEntries: this.#counters.deliveredEntries,
      retried: this.#counters.retried,
      deadLettered: this.#counters.deadLettered,
      dropped: { ...this.#counters.dropped },
      possibleDuplicates: this.#counters.possibleDuplicates,
      throttled: this.#counters.throttled,
      held: this.#sender.held,
      inFlightRequests: this.#sender.inFlightRequests,
      requests: { sent: this.#counters.requestsSent, failed: this.#counters.requestsFailed },
      shards: this.#router?.map?.shards.length,
      spool: this.#spool.stats(),
    };
  }

  /** The stats as Prometheus text, labelled with the sink. */
  metrics(): string {
    return producerMetrics(this.stats(), { sink: this.#sink.kind, stream: this.#sink.name });
  }

  /** @internal The spool reports a loss (spool-full, corrupt): count it and tell listeners. */
  onSpoolDrop(event: SpoolDropEvent): void {
    countDrop(this.#counters, event);
    if (event.reason !== 'torn-tail') this.#emit('dropped', { records: event.entries, reason: event.reason });
    this.#sender.checkAckWaiters();
  }

  /** A batch of puts settled in the spool. */
  #settled(records: number, bytes: number, error: unknown): void {
    this.#gate.release(bytes, records);
    if (error === undefined) this.#counters.accepted += records;
    else this.#counters.reject(error instanceof KedgeError ? error.code : 'ERROR', records);
  }

  #refuse(error: unknown): Promise<never> {
    this.#counters.reject(error instanceof KedgeError ? error.code : 'ERROR');
    return Promise.reject(error as Error);
  }

  #emit<K extends keyof ProducerEventMap>(event: K, ...args: ProducerEventMap[K]): void {
    // An 'error' nobody listens to would throw out of the sender; background errors lose nothing, so skip them.
    if (event === 'error' && this.listenerCount('error') === 0) return;
    (this.emit as (event: K, ...args: ProducerEventMap[K]) => boolean)(event, ...args);
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    this.#gate.close(new ProducerClosedError('put'));
    await this.#lastAppend.catch(() => undefined);
    if (timeoutMs > 0 && this.#parking.state === 'running') {
      await this.flush({ timeoutMs }).catch(() => undefined);
    }
    await this.#sender.stop();
    if (this.#memorySpool) {
      const left = this.#spool.stats().entries;
      if (left > 0) {
        this.#counters.dropped['memory-spool-closed'] += left;
        this.#emit('dropped', { records: left, reason: 'memory-spool-closed' });
      }
    }
    try {
      await this.#spool.close();
      await this.#deadLetters.close();
    } finally {
      this.#transport.destroy();
      this.#closed = true;
    }
  }
}
