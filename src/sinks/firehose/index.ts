/** The Firehose sink: client and PutRecordBatch. */
export { createFirehoseClient } from './client.js';
export { putRecordBatch, readBatchOutcomes, type FirehoseEntryOutcome, type FirehosePutEntry } from './put-record-batch.js';
export { FirehoseTransport, type FirehoseTransportOptions } from './transport.js';
