/** The Firehose sink: PutRecordBatch. */
export { readBatchOutcomes, type FirehoseEntryOutcome, type FirehosePutEntry } from './put-record-batch.js';
export { FirehoseTransport, type FirehoseTransportOptions } from './transport.js';
