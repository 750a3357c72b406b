/**
 * One delivery stream at run time: the buffer, and the flush that delivers it when BufferingHints say so (size
 * or interval, whichever first). Flushes of one stream run one at a time, so batches are delivered in order and
 * the journal's "delivered up to seq" marks only move forward. Nothing here throws at a caller: failing
 * destinations are retried or routed to the S3 error prefix, and logged.
 */
import type { Logger } from 'pino';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import { backoffDelayMs } from './backoff.js';
import type { DeliveryStreamConfig, HttpDestination } from './config.js';
import { HTTP_MAX_RECORDS_PER_REQUEST, MAX_BUFFERED_BYTES_PER_STREAM, S3_WRITE_RETRY_MAX_MS } from './constants.js';
import { httpEndpointFailedRecord, processingFailedRecord } from './error-records.js';
import { deliverToHttpEndpoint } from './http-endpoint.js';
import type { ShardCheckpoint, StoredStream } from './journal-codec.js';
import type { LambdaInvoker } from './lambda-invoker.js';
import { recordId, type FirehoseRecord, type KinesisMetadata } from './records.js';
import type { LocalS3Writer } from './s3-writer.js';
import type { FirehoseStore, LiveStream } from './store.js';
import { transform, type TransformedRecord, type TransformResult } from './transform.js';

export interface DeliveryRuntime {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly sleep: Sleep;
  readonly logger: Logger;
  readonly store: FirehoseStore;
  readonly s3: LocalS3Writer;
  readonly invoker: LambdaInvoker;
  readonly region: string;
  readonly intervalOverrideSeconds: number | undefined;
  /** Registers background work, so the service can wait for it (whenIdle, close). */
  track(work: Promise<unknown>): void;
}

export interface IncomingRecord {
  readonly data: Buffer;
  readonly arrival: number;
  readonly kinesis?: KinesisMetadata | undefined;
}

class Aborted extends Error {}

export class DeliveryStream {
  readonly arn: string;
  private buffer: FirehoseRecord[] = [];
  private bufferBytes = 0;
  /** When the oldest record still in the buffer entered it; undefined while empty. */
  private bufferStartedAt: number | undefined;
  private inflight: readonly FirehoseRecord[] = [];
  private inflightBytes = 0;
  private nextSeq: number;
  private deliveredUpTo: number;
  private flushing: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(
    readonly config: DeliveryStreamConfig,
    public stored: StoredStream,
    accountId: string,
    private readonly rt: DeliveryRuntime,
    recovered?: { records: readonly FirehoseRecord[]; nextSeq: number },
  ) {
    this.arn = `arn:aws:firehose:${rt.region}:${accountId}:deliverystream/${config.name}`;
    this.log = rt.logger.child({ deliveryStream: config.name });
    this.nextSeq = recovered?.nextSeq ?? 0;
    this.deliveredUpTo = this.nextSeq - 1;
    if (recovered && recovered.records.length > 0) {
      this.buffer = [...recovered.records];
      this.deliveredUpTo = recovered.records[0]!.seq - 1;
      for (const r of this.buffer) this.bufferBytes += r.data.length;
      // Records that waited through a restart are delivered at the first tick.
      this.bufferStartedAt = -Infinity;
    }
  }

  get name(): string {
    return this.config.name;
  }

  /** Bytes accepted but not yet delivered; puts are refused above MAX_BUFFERED_BYTES_PER_STREAM. */
  get pendingBytes(): number {
    return this.bufferBytes + this.inflightBytes;
  }

  get hasRoom(): boolean {
    return this.pendingBytes < MAX_BUFFERED_BYTES_PER_STREAM;
  }

  recordId(record: FirehoseRecord): string {
    return recordId(this.stored.idBase, record.seq);
  }

  /**
   * Takes records in: journals them (with the Kinesis read position they reach, if any) before returning, then
   * buffers them and starts a flush if the buffer reached its size.
   */
  accept(incoming: readonly IncomingRecord[], checkpoint?: ShardCheckpoint): FirehoseRecord[] {
    const records = incoming.map((r) => ({ seq: this.nextSeq++, data: r.data, arrival: r.arrival, kinesis: r.kinesis }));
    this.rt.store.appendRecords(this.name, records, checkpoint);
    if (this.buffer.length === 0) this.bufferStartedAt = this.rt.clock.now();
    for (const r of records) {
      this.buffer.push(r);
      this.bufferBytes += r.data.length;
    }
    if (this.bufferBytes >= this.config.bufferSizeBytes) this.startFlush();
    return records;
  }

  /** Called by the service's coarse timer: flushes a buffer whose interval has passed. */
  tick(now: number): void {
    if (this.bufferStartedAt !== undefined && now - this.bufferStartedAt >= this.intervalMs()) this.startFlush();
  }

  /** Stops delivery (close or delete); undelivered records stay in the journal. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.flushing;
  }

  live(checkpoints: readonly ShardCheckpoint[]): LiveStream {
    return { stored: this.stored, deliveredUpTo: this.deliveredUpTo, undelivered: [...this.inflight, ...this.buffer], checkpoints };
  }

  private intervalMs(): number {
    return (this.rt.intervalOverrideSeconds ?? this.config.bufferIntervalSeconds) * 1000;
  }

  private startFlush(): void {
    if (this.flushing || this.abort.signal.aborted) return;
    const run = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
    this.flushing = run;
    this.rt.track(run);
  }

  private async flushLoop(): Promise<void> {
    for (;;) {
      const now = this.rt.clock.now();
      if (this.buffer.length === 0 || this.abort.signal.aborted) return;
      const due = this.bufferBytes >= this.config.bufferSizeBytes || (this.bufferStartedAt !== undefined && now - this.bufferStartedAt >= this.intervalMs());
      if (!due) return;
      const batch = this.takeBatch();
      this.bufferStartedAt = this.buffer.length > 0 ? now : undefined;
      try {
        await this.deliver(batch);
      } catch (err) {
        if (err instanceof Aborted || this.abort.signal.aborted) return;
        // A bug, not a destination failure (those are handled inside deliver): keep the records for the next tick.
        this.log.error({ err }, 'delivery failed unexpectedly; the batch stays buffered');
        this.buffer.unshift(...batch);
        this.bufferBytes += this.inflightBytes;
        this.bufferStartedAt ??= now;
        this.inflight = [];
        this.inflightBytes = 0;
        return;
      }
      // A stream deleted meanwhile must not journal a mark: a new stream of the same name would inherit it.
      if (this.abort.signal.aborted) return;
      this.deliveredUpTo = batch[batch.length - 1]!.seq;
      this.inflight = [];
      this.inflightBytes = 0;
      this.rt.store.markDelivered(this.name, this.deliveredUpTo);
    }
  }

  /** Takes the oldest records up to the buffer size (at least one) as the next batch. */
  private takeBatch(): FirehoseRecord[] {
    let n = 0;
    let bytes = 0;
    while (n < this.buffer.length && (n === 0 || bytes + this.buffer[n]!.data.length <= this.config.bufferSizeBytes)) {
      bytes += this.buffer[n]!.data.length;
      n++;
    }
    const batch = this.buffer.splice(0, n);
    this.bufferBytes -= bytes;
    this.inflight = batch;
    this.inflightBytes = bytes;
    return batch;
  }

  private async deliver(batch: readonly FirehoseRecord[]): Promise<void> {
    const { config, rt } = this;
    const signal = this.abort.signal;
    const result: TransformResult = config.processors.length
      ? await transform(batch, config.processors, {
          deliveryStreamArn: this.arn,
          sourceKinesisStreamArn: config.source?.streamArn,
          region: rt.region,
          recordId: (r) => this.recordId(r),
          invoker: rt.invoker,
          clock: rt.clock,
          rng: rt.rng,
          sleep: rt.sleep,
          signal,
          logger: this.log,
        })
      : { ok: batch.map((record) => ({ record, data: record.data })), failed: [] };
    if (signal.aborted) throw new Aborted();
    const destination = config.destination;
    const version = this.stored.versionId;
    if (destination.kind === 'http') {
      if (destination.s3BackupMode === 'AllData') await this.durably(() => rt.s3.writeData(destination.s3, this.name, version, batch));
      await this.deliverHttp(destination, result.ok);
    } else if (result.ok.length > 0) {
      const key = await this.durably(() => rt.s3.writeData(destination.s3, this.name, version, result.ok.map(asObjectRecord)));
      this.log.debug({ key, records: result.ok.length }, 'delivered to S3');
    }
    if (result.failed.length > 0) {
      const location = destination.s3;
      const lines = result.failed.map((f) => processingFailedRecord(f.record, f.failure, f.lambdaArn));
      await this.durably(() => rt.s3.writeErrors(location, this.name, version, 'processing-failed', lines));
    }
  }

  private async deliverHttp(destination: HttpDestination, records: readonly TransformedRecord[]): Promise<void> {
    const deps = { clock: this.rt.clock, rng: this.rt.rng, sleep: this.rt.sleep, signal: this.abort.signal };
    for (let i = 0; i < records.length; i += HTTP_MAX_RECORDS_PER_REQUEST) {
      const chunk = records.slice(i, i + HTTP_MAX_RECORDS_PER_REQUEST);
      const outcome = await deliverToHttpEndpoint(destination, this.arn, chunk.map((t) => t.data), deps);
      if (this.abort.signal.aborted) throw new Aborted();
      if (outcome.ok) {
        this.log.debug({ records: chunk.length, attempts: outcome.attempts }, 'delivered to the HTTP endpoint');
        continue;
      }
      this.log.warn(
        { url: destination.url, errorCode: outcome.errorCode, attempts: outcome.attemptsMade, records: chunk.length },
        'HTTP endpoint delivery failed; records go to the S3 error prefix',
      );
      const lines = chunk.map((t) => httpEndpointFailedRecord(t.record, t.data, outcome));
      await this.durably(() => this.rt.s3.writeErrors(destination.s3, this.name, this.stored.versionId, 'http-endpoint-failed', lines));
    }
  }

  /** Retries a local S3 write until it succeeds (AWS retries S3 for 24 h) or the stream stops. */
  private async durably<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (this.abort.signal.aborted) throw new Aborted();
        if (attempt === 1) this.log.warn({ err }, 'writing to the local S3 directory failed; retrying');
        await this.rt.sleep(backoffDelayMs(attempt, this.rt.rng, S3_WRITE_RETRY_MAX_MS), this.abort.signal);
        if (this.abort.signal.aborted) throw new Aborted();
      }
    }
  }
}

const asObjectRecord = (t: TransformedRecord): { data: Buffer; arrival: number } => ({ data: t.data, arrival: t.record.arrival });
