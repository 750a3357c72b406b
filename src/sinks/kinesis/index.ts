/** The Kinesis Data Streams sink: client, PutRecords, ListShards. */
export { createKinesisClient, defaultCredentials, isLocalPlainHttp, keepAliveHandler, regionFor, type AwsClientOptions } from './client.js';
export { SinkRequestTimeoutError, SinkResponseMismatchError } from './errors.js';
export { listOpenShards } from './list-shards.js';
export { putRecords, readOutcomes, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';
export { withRequestTimeout } from './request-timeout.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, KinesisTransport, type KinesisTransportOptions } from './transport.js';
