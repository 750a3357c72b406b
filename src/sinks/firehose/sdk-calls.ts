/**
 * PutRecordBatch through an AWS SDK Firehose client: the path a producer takes when the application
 * hands it its own client or an SDK request handler. Imported only then (see sinks/kinesis/sdk-calls.ts).
 */
import { PutRecordBatchCommand, type FirehoseClient, type _Record } from '@aws-sdk/client-firehose';
import { withRequestTimeout } from '../kinesis/request-timeout.js';
import { readBatchOutcomes, type FirehoseEntryOutcome, type FirehosePutEntry, type PutRecordBatchTarget } from './put-record-batch.js';

export async function putRecordBatchWithSdk(
  client: FirehoseClient,
  target: PutRecordBatchTarget,
  entries: readonly FirehosePutEntry[],
  signal?: AbortSignal,
): Promise<FirehoseEntryOutcome[]> {
  const records = new Array<_Record>(entries.length);
  for (let i = 0; i < entries.length; i++) records[i] = { Data: entries[i]!.data };
  const command = new PutRecordBatchCommand({ DeliveryStreamName: target.deliveryStreamName, Records: records });
  const output = await withRequestTimeout('PutRecordBatch', target.requestTimeoutMs, signal, (abortSignal) => client.send(command, { abortSignal }));
  return readBatchOutcomes(entries.length, output.RequestResponses ?? []);
}
