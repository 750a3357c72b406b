/** The Kinesis Data Streams sink: client, PutRecords, ListShards. */
export { DEFAULT_REQUEST_TIMEOUT_MS, defaultCredentials, isLocalPlainHttp, keepAliveHandler, regionFor, type AwsClientOptions } from './aws-options.js';
export { createKinesisClient } from './client.js';
export { SinkRequestTimeoutError, SinkResponseMismatchError } from './errors.js';
export { listOpenShards } from './list-shards.js';
export { putRecords, readOutcomes, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';
export { withRequestTimeout } from './request-timeout.js';
export { KinesisTransport, type KinesisTransportOptions } from './transport.js';
