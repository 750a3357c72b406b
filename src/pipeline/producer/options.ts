/**
 * createProducer() options (DESIGN.md §3), their defaults, and the checks that refuse nonsense early
 * with a message naming the option. Service limits come from core/limits.ts; the tunables that are
 * ours are defined here with the reason for each default.
 */
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import {
  FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
  FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES,
  FIREHOSE_RECORD_MAX_BYTES,
  KDS_PUT_RECORDS_MAX_RECORDS,
  KDS_PUT_RECORDS_MAX_REQUEST_BYTES,
  KDS_RECORD_MAX_BYTES,
  KDS_RECORD_MAX_BYTES_LARGE_RECORDS,
  KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API,
} from '../../core/limits.js';
import type { BackoffOptions } from '../../retry/backoff.js';
import type { RetryBudgetOptions } from '../../retry/retry-budget.js';
import type { FsyncPolicy, OnFullPolicy } from '../../spool/types.js';
import type { AwsClientOptions } from '../../sinks/kinesis/aws-options.js';
import { KPL_AGGREGATION_MAX_BYTES_DEFAULT, KPL_AGGREGATION_MAX_RECORDS_DEFAULT } from '../aggregation/format.js';
import type { ShardRateLimiterOptions } from '../rate-limiter.js';
import { ProducerOptionsError } from './errors.js';
import type { ParkingOptions } from './parking.js';
import type { BackpressurePolicy } from './put-gate.js';
import type { SinkTransport } from './transport.js';

export interface KinesisSinkOptions {
  readonly type: 'kinesis';
  readonly streamName: string;
  /** KPL aggregation per shard (default true). */
  readonly aggregate?: boolean;
  /** Largest aggregate's data (KPL AggregationMaxSize, default 51,200 bytes). */
  readonly maxAggregateBytes?: number;
  readonly maxAggregateRecords?: number;
  /** The stream's MaxRecordSize: data plus partition key (default 1 MiB; up to 10 MiB if the stream was raised). */
  readonly maxRecordBytes?: number;
  /** PutRecords request bytes (default 5 MiB; 10 MiB only where the endpoint takes it). */
  readonly maxRequestBytes?: number;
  /** Per-shard token bucket (default on, 150% of the shard limits, adaptive on throttles); false turns it off. */
  readonly rateLimit?: false | Omit<ShardRateLimiterOptions, 'clock' | 'maxRecordBytes'>;
}

export interface FirehoseSinkOptions {
  readonly type: 'firehose';
  readonly deliveryStreamName: string;
  /** true: a newline after each record put as a JSON value; 'always': after every record. Default false. */
  readonly newlineDelimited?: boolean | 'always';
  /** Default 1,000 KiB (the service limit). */
  readonly maxRecordBytes?: number;
}

export type SinkOptions = KinesisSinkOptions | FirehoseSinkOptions;

export interface ProducerSpoolOptions {
  /** Directory of the durable spool. Omit (or `memory: true`) for the memory variant: lost when the process ends. */
  readonly dir?: string;
  readonly memory?: boolean;
  /** Default 256 MiB on disk, 64 MiB in memory. */
  readonly maxBytes?: number;
  readonly maxSegmentBytes?: number;
  /** Default 'block': put() waits for room. */
  readonly onFull?: OnFullPolicy;
  /** Default 'always' (group commit). */
  readonly fsync?: FsyncPolicy;
  readonly fsyncIntervalMs?: number;
  readonly ledgerIntervalMs?: number;
}

export interface ProducerOptions {
  readonly sink: SinkOptions;
  readonly aws?: AwsClientOptions;
  readonly spool?: ProducerSpoolOptions;
  /** 'per-key': records of one partition key stay in order across retries (one request in flight per shard). Default 'none'. */
  readonly ordering?: 'per-key' | 'none';
  /** How long a record may wait for others to share its request (default 100 ms). */
  readonly lingerMs?: number;
  /** Requests in flight at once (default 4). */
  readonly maxInFlightRequests?: number;
  /** Records read ahead from the spool and not yet settled: bounds memory whatever the backlog (default 50,000 / 4 MiB). */
  readonly maxHeldRecords?: number;
  readonly maxHeldBytes?: number;
  /** A record not delivered this long after put() is dead-lettered (default: none; records wait as long as the spool keeps them). */
  readonly recordTtlMs?: number;
  readonly retry?: {
    readonly backoff?: Partial<BackoffOptions>;
    /** The shared retry budget (smithy's retry quota plus time refill); false: none. */
    readonly budget?: false | Omit<RetryBudgetOptions, 'clock'>;
    /** Attempts per record before dead-lettering (default: unlimited). */
    readonly maxAttempts?: number;
  };
  readonly parking?: ParkingOptions;
  /** Default `<spool dir>/dead-letter.jsonl`; with a memory spool and no path, records are only reported in the event. */
  readonly deadLetterPath?: string;
  readonly backpressure?: {
    /** Bytes put but not yet in the spool (default 8 MiB). */
    readonly maxPendingBytes?: number;
    readonly maxPendingPuts?: number;
    /** Default 'block': put() waits. 'reject': put() fails with PRODUCER_BACKPRESSURE. */
    readonly onBackpressure?: BackpressurePolicy;
    readonly maxWaitingPuts?: number;
  };
  /** Per request (default 30,000 ms). */
  readonly requestTimeoutMs?: number;
  /** close() tries to deliver what is accepted for this long (default 30,000 ms; the disk spool keeps the rest). */
  readonly closeTimeoutMs?: number;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly sleep?: Sleep;
  /** Replaces the AWS transport (tests, or another service speaking the same API). */
  readonly transport?: SinkTransport;
}

export const PRODUCER_DEFAULTS = Object.freeze({
  lingerMs: 100,
  // Enough parallel requests to fill a link with ~50 ms RTT, few enough for a Pi's memory.
  maxInFlightRequests: 4,
  maxHeldRecords: 50_000,
  // Four 1 MiB requests in flight and about as much queued behind them: a larger window bought no
  // throughput in the drain bench, and cost ~3 MB of resident memory while a backlog drains.
  maxHeldBytes: 4 * 1024 * 1024,
  readBatchBytes: 256 * 1024,
  // A request of 1 MiB carries thousands of aggregated records; waiting for 5 MiB only adds latency and memory.
  targetRequestBytes: 1024 * 1024,
  memorySpoolMaxBytes: 64 * 1024 * 1024,
  maxPendingBytes: 8 * 1024 * 1024,
  maxPendingPuts: 10_000,
  maxWaitingPuts: 10_000,
  requestTimeoutMs: 30_000,
  closeTimeoutMs: 30_000,
});

export interface ResolvedSink {
  readonly kind: 'kinesis' | 'firehose';
  readonly name: string;
  readonly aggregate: boolean;
  readonly maxAggregateBytes: number;
  readonly maxAggregateRecords: number;
  readonly maxRecordBytes: number;
  readonly maxRequestBytes: number;
  readonly maxEntries: number;
  readonly newline: 'never' | 'json' | 'always';
}

const bad = (message: string): ProducerOptionsError => new ProducerOptionsError(message);

export function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0 || v > max) throw bad(`${name} must be a whole number from 1 to ${max}, got ${String(value)}.`);
  return v;
}

export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw bad(`${name} must be a number >= 0, got ${String(value)}.`);
  return v;
}

export function resolveSink(sink: SinkOptions | undefined): ResolvedSink {
  if (sink === undefined || typeof sink !== 'object') {
    throw bad("sink is required: { type: 'kinesis', streamName } or { type: 'firehose', deliveryStreamName }.");
  }
  if (sink.type === 'kinesis') {
    if (typeof sink.streamName !== 'string' || !/^[a-zA-Z0-9_.-]{1,128}$/.test(sink.streamName)) {
      throw bad(`sink.streamName must be 1–128 characters of a-z, A-Z, 0-9, '_', '.', '-', got ${JSON.stringify(sink.streamName)}.`);
    }
    const maxRecordBytes = positiveInteger('sink.maxRecordBytes', sink.maxRecordBytes, KDS_RECORD_MAX_BYTES, KDS_RECORD_MAX_BYTES_LARGE_RECORDS);
    const maxRequestBytes = positiveInteger('sink.maxRequestBytes', sink.maxRequestBytes, KDS_PUT_RECORDS_MAX_REQUEST_BYTES, KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API);
    if (maxRecordBytes > maxRequestBytes) throw bad(`sink.maxRecordBytes (${maxRecordBytes}) must not exceed sink.maxRequestBytes (${maxRequestBytes}).`);
    return {
      kind: 'kinesis',
      name: sink.streamName,
      aggregate: sink.aggregate ?? true,
      maxAggregateBytes: positiveInteger('sink.maxAggregateBytes', sink.maxAggregateBytes, KPL_AGGREGATION_MAX_BYTES_DEFAULT, maxRecordBytes),
      maxAggregateRecords: positiveInteger('sink.maxAggregateRecords', sink.maxAggregateRecords, KPL_AGGREGATION_MAX_RECORDS_DEFAULT),
      maxRecordBytes,
      maxRequestBytes,
      maxEntries: KDS_PUT_RECORDS_MAX_RECORDS,
      newline: 'never',
    };
  }
  if (sink.type === 'firehose') {
    if (typeof sink.deliveryStreamName !== 'string' || !/^[a-zA-Z0-9_.-]{1,64}$/.test(sink.deliveryStreamName)) {
      throw bad(`sink.deliveryStreamName must be 1–64 characters of a-z, A-Z, 0-9, '_', '.', '-', got ${JSON.stringify(sink.deliveryStreamName)}.`);
    }
    const newline = sink.newlineDelimited === 'always' ? 'always' : sink.newlineDelimited === true ? 'json' : 'never';
    return {
      kind: 'firehose',
      name: sink.deliveryStreamName,
      aggregate: false,
      // Unused: Firehose records are never aggregated.
      maxAggregateBytes: KPL_AGGREGATION_MAX_BYTES_DEFAULT,
      maxAggregateRecords: KPL_AGGREGATION_MAX_RECORDS_DEFAULT,
      maxRecordBytes: positiveInteger('sink.maxRecordBytes', sink.maxRecordBytes, FIREHOSE_RECORD_MAX_BYTES, FIREHOSE_RECORD_MAX_BYTES),
      maxRequestBytes: FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES,
      maxEntries: FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
      newline,
    };
  }
  throw bad(`sink.type must be 'kinesis' or 'firehose', got ${JSON.stringify((sink as { type?: unknown }).type)}.`);
}
