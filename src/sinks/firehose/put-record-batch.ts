/**
 * PutRecordBatch: request builder and response reader (reference/kds.md §1.2). The caller packs at
 * most 500 records and 4 MiB, each record at most 1,000 KiB. Like PutRecords it is a partial-success
 * API ("resend only those records that might have failed"), so every entry's outcome is returned.
 */
import { PutRecordBatchCommand, type FirehoseClient, type _Record } from '@aws-sdk/client-firehose';
import { SinkResponseMismatchError } from '../kinesis/errors.js';
import { withRequestTimeout } from '../kinesis/request-timeout.js';

export interface FirehosePutEntry {
  readonly data: Uint8Array;
}

export type FirehoseEntryOutcome =
  | { readonly ok: true; readonly shardId?: undefined }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface PutRecordBatchTarget {
  readonly deliveryStreamName: string;
  readonly requestTimeoutMs: number;
}

export async function putRecordBatch(
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

export function readBatchOutcomes(
  sent: number,
  results: readonly { RecordId?: string | undefined; ErrorCode?: string | undefined; ErrorMessage?: string | undefined }[],
): FirehoseEntryOutcome[] {
  if (results.length !== sent) throw new SinkResponseMismatchError('PutRecordBatch', sent, results.length);
  const outcomes = new Array<FirehoseEntryOutcome>(sent);
  for (let i = 0; i < sent; i++) {
    const result = results[i]!;
    if (result.ErrorCode !== undefined && result.ErrorCode !== '') {
      outcomes[i] = { ok: false, errorCode: result.ErrorCode, errorMessage: result.ErrorMessage ?? '' };
    } else if (result.RecordId === undefined) {
      outcomes[i] = { ok: false, errorCode: 'InternalFailure', errorMessage: 'The result entry has neither RecordId nor ErrorCode.' };
    } else {
      outcomes[i] = { ok: true };
    }
  }
  return outcomes;
}
