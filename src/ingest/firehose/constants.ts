/**
 * Firehose service limits and defaults, with units in their names. Sources: reference/kds.md §1.2,
 * reference/ingest.md §5 (API_PutRecordBatch, API_BufferingHints, httpdeliveryrequestresponse.md). The PutRecordBatch
 * limits the producer also respects come from core/limits.ts.
 */
import {
  FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
  FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES,
  FIREHOSE_RECORD_MAX_BYTES,
} from '../../core/limits.js';

export const MIB = 1024 * 1024;

/** One record's data before base64: "1,000 KiB" (API_PutRecord). */
export const MAX_RECORD_DATA_BYTES = FIREHOSE_RECORD_MAX_BYTES;
export const MAX_BATCH_RECORDS = FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS;
/** "up to a limit of 4 MB for the entire request. These limits cannot be changed." */
export const MAX_BATCH_DATA_BYTES = FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES;

/** AWS's own defaults when a stream gives no BufferingHints. */
export const AWS_DEFAULT_BUFFER_SIZE_MIB = 5;
export const AWS_DEFAULT_BUFFER_INTERVAL_SECONDS = 300;
/**
 * kedge's defaults when a stream gives no BufferingHints: 1 MiB / 60 s instead of AWS's 5 MiB / 300 s, so a
 * demo shows delivered objects within a minute. DescribeDeliveryStream reports the values in effect.
 */
export const KEDGE_DEFAULT_BUFFER_SIZE_MIB = 1;
export const KEDGE_DEFAULT_BUFFER_INTERVAL_SECONDS = 60;

export const S3_BUFFER_SIZE_RANGE_MIB = [1, 128] as const;
export const HTTP_BUFFER_SIZE_RANGE_MIB = [1, 64] as const;
export const BUFFER_INTERVAL_RANGE_SECONDS = [0, 900] as const;

/** HTTP endpoint delivery (httpdeliveryrequestresponse.md). */
export const HTTP_DEFAULT_RETRY_DURATION_SECONDS = 300;
export const HTTP_MAX_RETRY_DURATION_SECONDS = 7200;
export const HTTP_RESPONSE_TIMEOUT_MS = 3 * 60_000;
export const HTTP_MAX_RESPONSE_BYTES = MIB;
export const HTTP_MAX_RECORDS_PER_REQUEST = 10_000;
export const HTTP_MAX_ACCESS_KEY_BYTES = 4096;
export const HTTP_MAX_COMMON_ATTRIBUTES = 50;

/** Backoff of HTTP endpoint retries: 1 s initial, x2, +-15 % jitter, capped at 2 min. */
export const HTTP_BACKOFF_INITIAL_MS = 1000;
export const HTTP_BACKOFF_MAX_MS = 120_000;
export const HTTP_BACKOFF_JITTER = 0.15;

/** Lambda processor defaults (data-transformation.md; API_ProcessorParameter). */
export const LAMBDA_DEFAULT_RETRIES = 3;
export const LAMBDA_MAX_RETRIES = 300;
export const LAMBDA_DEFAULT_BUFFER_SIZE_MIB = 1;
export const LAMBDA_MAX_BUFFER_SIZE_MIB = 3;
export const LAMBDA_DEFAULT_BUFFER_INTERVAL_SECONDS = 60;

/** Kinesis Data Streams as source: "GetRecords once per second per shard". */
export const KINESIS_POLL_INTERVAL_MS = 1000;
/** How often the shard list is re-read to find shards that appeared by resharding. */
export const KINESIS_SHARD_LIST_REFRESH_MS = 10_000;
export const KINESIS_GET_RECORDS_LIMIT = 10_000;

/** The one coarse timer of the service: every tick checks buffer ages and due shard polls. */
export const TICK_INTERVAL_MS = 250;

/**
 * Undelivered bytes a delivery stream may hold before puts get ServiceUnavailableException ("Slow down.")
 * and a Kinesis source stops polling: a destination that stays down must not exhaust the target's memory.
 */
export const MAX_BUFFERED_BYTES_PER_STREAM = 256 * MIB;

/** Retry of a failing local S3 write (disk full, permissions): back off up to this, keep the records. */
export const S3_WRITE_RETRY_MAX_MS = 30_000;

/** AWS's default quota of delivery streams per account and region. */
export const MAX_DELIVERY_STREAMS = 5000;
export const MAX_TAGS = 50;
