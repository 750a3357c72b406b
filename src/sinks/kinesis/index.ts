/** The Kinesis Data Streams sink: client, PutRecords, ListShards. */
export { DEFAULT_REQUEST_TIMEOUT_MS, defaultCredentials, isLocalPlainHttp, regionFor, type AwsClientOptions } from './aws-options.js';
export { SinkRequestTimeoutError, SinkResponseMismatchError } from './errors.js';
export { listOpenShards, type KinesisShard } from './list-shards.js';
export { readOutcomes, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';
export { withRequestTimeout } from './request-timeout.js';
export { KinesisTransport, type KinesisTransportOptions } from './transport.js';
