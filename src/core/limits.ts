/**
 * Service limits a producer must respect before it sends anything, with units in their names.
 * Sources: reference/kds.md §1.1 (Kinesis Data Streams), §1.2 (Firehose), §2.2 (hash keys).
 *
 * These are the *service* facts. Producer tunables (aggregation size, rate limit percentage, retry
 * bases) live next to the code that uses them.
 */

const KIB = 1024;
const MIB = 1024 * 1024;

// ── Kinesis Data Streams: PutRecords ────────────────────────────────────────────────────────────

/** Entries in one PutRecords request. */
export const KDS_PUT_RECORDS_MAX_RECORDS = 500;

/**
 * Bytes in one PutRecords request: the sum over entries of data (before base64) plus the UTF-8
 * partition key, which is how the backend counts (KPL `put_records_request.h`).
 *
 * We default to 5 MiB although the current API reference says 10 MiB (raised in 2025 with large
 * records). 5 MiB is what every endpoint has accepted for a decade: older regions' docs, local
 * emulators (kinesalite, kinesis-local), LocalStack and proxies in front of Kinesis still refuse a
 * larger request, and a refused request costs a round trip and a retry on a slow edge link. Sending
 * two 5 MiB requests instead of one 10 MiB request costs nothing measurable. Use
 * {@link KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API} only when the endpoint is known to take it.
 */
export const KDS_PUT_RECORDS_MAX_REQUEST_BYTES = 5 * MIB;

/** The 2025 PutRecords request limit (opt-in; see {@link KDS_PUT_RECORDS_MAX_REQUEST_BYTES}). */
export const KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API = 10 * MIB;

// ── Kinesis Data Streams: one record ───────────────────────────────────────────────────────────

/**
 * One record: data (before base64) plus the UTF-8 bytes of its partition key. This is the default
 * MaxRecordSize of every stream, old and new.
 */
export const KDS_RECORD_MAX_BYTES = 1 * MIB;

/** The largest MaxRecordSize a stream can be raised to with UpdateMaxRecordSize (opt-in per stream). */
export const KDS_RECORD_MAX_BYTES_LARGE_RECORDS = 10 * MIB;

/**
 * Partition key length bounds. AWS says "Unicode string, length 1–256" without naming the unit;
 * we count UTF-16 code units (JavaScript `string.length`, Java `String.length()`), which is what
 * KPL checks and is never smaller than the code-point count, so we never accept a key the service
 * could refuse.
 */
export const KDS_PARTITION_KEY_MIN_CHARS = 1;
export const KDS_PARTITION_KEY_MAX_CHARS = 256;

// ── Kinesis Data Streams: hash keys and shards ─────────────────────────────────────────────────

/** The largest hash key (and ExplicitHashKey): 2^128 − 1. Hash keys are unsigned 128-bit integers. */
export const KDS_HASH_KEY_MAX = (1n << 128n) - 1n;

/** ExplicitHashKey is a decimal string matching this pattern (API_PutRecordsRequestEntry). */
export const KDS_EXPLICIT_HASH_KEY_PATTERN = /^(?:0|[1-9]\d{0,38})$/;

/** Per-shard write limit in bytes (data plus partition keys), provisioned and on-demand alike. */
export const KDS_SHARD_WRITE_BYTES_PER_SECOND = 1 * MIB;

/** Per-shard write limit in records. */
export const KDS_SHARD_WRITE_RECORDS_PER_SECOND = 1000;

// ── Firehose: PutRecordBatch ───────────────────────────────────────────────────────────────────

/** Records in one PutRecordBatch request. */
export const FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS = 500;

/** Bytes in one PutRecordBatch request ("These limits cannot be changed"). */
export const FIREHOSE_PUT_RECORD_BATCH_MAX_REQUEST_BYTES = 4 * MIB;

/** One Firehose record, before base64: 1,000 KiB = 1,024,000 bytes (not 1 MiB). */
export const FIREHOSE_RECORD_MAX_BYTES = 1000 * KIB;
