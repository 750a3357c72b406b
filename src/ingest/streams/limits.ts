/**
 * Kinesis Data Streams quotas the local target enforces, with units in their names
 * (reference/kds.md §1.1, reference/ingest.md §6). One place, so a test can name the limit it checks. The facts the
 * producer also respects come from core/limits.ts, so the target and the producer cannot disagree on them.
 */
import {
  KDS_PARTITION_KEY_MAX_CHARS,
  KDS_PUT_RECORDS_MAX_RECORDS,
  KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API,
  KDS_RECORD_MAX_BYTES,
  KDS_SHARD_WRITE_BYTES_PER_SECOND,
  KDS_SHARD_WRITE_RECORDS_PER_SECOND,
} from '../../core/limits.js';

export const STREAM_NAME_MAX_CHARS = 128;
export const STREAM_ARN_MAX_CHARS = 2048;
export const SHARD_ID_MAX_CHARS = 128;
export const PARTITION_KEY_MAX_CHARS = KDS_PARTITION_KEY_MAX_CHARS;
/** A record's data plus its partition key (UTF-8) must fit in this (the default max record size). */
export const RECORD_MAX_BYTES = KDS_RECORD_MAX_BYTES;
/** PutRecords: data plus partition keys of all entries (the 2025 API reference value; older docs say 5 MiB). */
export const PUT_RECORDS_REQUEST_MAX_BYTES = KDS_PUT_RECORDS_MAX_REQUEST_BYTES_CURRENT_API;
export const PUT_RECORDS_MAX_ENTRIES = KDS_PUT_RECORDS_MAX_RECORDS;

export const SHARD_COUNT_MAX = 100_000;
/** Open shards per account and region (AWS's default quota is 500 in most regions, 200 in some). */
export const DEFAULT_ACCOUNT_SHARD_LIMIT = 500;
export const ON_DEMAND_INITIAL_SHARDS = 4;
export const ON_DEMAND_STREAM_COUNT_LIMIT = 50;
export const STREAMS_CREATING_MAX = 5;
export const CREATE_STREAM_MAX_PER_SECOND = 5;

export const RETENTION_MIN_HOURS = 24;
export const RETENTION_MAX_HOURS = 8760;
export const RETENTION_DEFAULT_HOURS = 24;

export const WRITE_MAX_BYTES_PER_SHARD_PER_SECOND = KDS_SHARD_WRITE_BYTES_PER_SECOND;
export const WRITE_MAX_RECORDS_PER_SHARD_PER_SECOND = KDS_SHARD_WRITE_RECORDS_PER_SECOND;
export const READ_MAX_CALLS_PER_SHARD_PER_SECOND = 5;
export const READ_MAX_BYTES_PER_SHARD_PER_SECOND = 2 * 1024 * 1024;
export const GET_SHARD_ITERATOR_MAX_PER_SHARD_PER_SECOND = 5;

export const GET_RECORDS_MAX_RECORDS = 10_000;
export const GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024;
export const SHARD_ITERATOR_MAX_CHARS = 512;
export const SHARD_ITERATOR_TTL_MS = 5 * 60 * 1000;
export const NEXT_TOKEN_TTL_MS = 5 * 60 * 1000;

export const DESCRIBE_STREAM_DEFAULT_SHARDS = 100;
export const LIST_SHARDS_DEFAULT_RESULTS = 1000;
export const LIST_STREAMS_DEFAULT_RESULTS = 100;
export const LIST_PAGE_MAX_RESULTS = 10_000;

export const TAGS_PER_STREAM_MAX = 50;
export const TAGS_PER_CALL_MAX = 10;
export const TAG_KEY_MAX_CHARS = 128;
export const TAG_VALUE_MAX_CHARS = 256;
export const LIST_TAGS_MAX_RESULTS = 50;
