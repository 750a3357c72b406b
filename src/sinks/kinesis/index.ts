/** The Kinesis Data Streams sink: PutRecords and ListShards, as our own requests or through an SDK client. */
export { DEFAULT_REQUEST_TIMEOUT_MS, defaultCredentials, isLocalPlainHttp, regionFor, type AwsClientOptions } from './aws-options.js';
export { SinkRequestTimeoutError, SinkResponseMismatchError } from './errors.js';
export { listOpenShards, type KinesisShard } from './list-shards.js';
export { readOutcomes, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';
export { withRequestTimeout } from './request-timeout.js';
export { KinesisTransport, type KinesisTransportOptions } from './transport.js';
