/**
 * Kinesis Video Streams service limits the local target enforces, with their units in their names
 * (kvs.md §1.4, §2.1, §3 and the service quotas).
 */

/** A fragment (cluster) longer than this gets ERROR 4002. DG20 says 10 s; the 2024 quota page says 20 s. */
export const MAX_FRAGMENT_DURATION_MS = 10_000;
/** A fragment larger than this gets ERROR 4001. */
export const MAX_FRAGMENT_BYTES = 50 * 1000 * 1000;
/** The service cuts a PutMedia connection after 45 minutes with ERROR 4003. */
export const MAX_CONNECTION_DURATION_MS = 45 * 60_000;
/** No data for this long: the service closes the PutMedia request. */
export const PUT_MEDIA_IDLE_TIMEOUT_MS = 30_000;
/** While no data arrives, an IDLE ACK goes out this often. */
export const IDLE_ACK_INTERVAL_MS = 3_000;
/** More tracks than this in Tracks: ERROR 4012. */
export const MAX_TRACKS = 3;
/** More producer metadata tags than this for one fragment: ERROR 4009. */
export const MAX_FRAGMENT_METADATA_TAGS = 10;

/** Retention 0: fragments live only in the service's host buffer (DG20 CreateStream: 5 min / 200 MB). */
export const HOST_BUFFER_MS = 5 * 60_000;
export const HOST_BUFFER_BYTES = 200 * 1000 * 1000;

export const MAX_STREAM_NAME_LENGTH = 256;
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
export const MAX_DATA_RETENTION_HOURS = 87_600;
export const MAX_TAGS_PER_STREAM = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_LIST_STREAMS_RESULTS = 10_000;

/** Per-stream TPS of the calls the quota page lists as hard 5 TPS per stream. */
export const PER_STREAM_CONTROL_TPS = 5;
/** PutMedia connection attempts per stream per second. */
export const PUT_MEDIA_TPS = 5;

export const LIST_FRAGMENTS_DEFAULT_RESULTS = 100;
export const LIST_FRAGMENTS_MAX_RESULTS = 1000;
export const MAX_FRAGMENT_LIST = 1000;

/** GetHLSStreamingSessionURL `Expires` bounds and default, in seconds. */
export const HLS_EXPIRES_MIN_S = 300;
export const HLS_EXPIRES_MAX_S = 43_200;
export const HLS_EXPIRES_DEFAULT_S = 300;
export const HLS_LIVE_DEFAULT_RESULTS = 5;
export const HLS_ON_DEMAND_DEFAULT_RESULTS = 1000;
export const HLS_MAX_RESULTS = 5000;
/** A LIVE session needs a fragment from the last 30 s (else ResourceNotFoundException). */
export const HLS_LIVE_WINDOW_MS = 30_000;
