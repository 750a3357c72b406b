/**
 * PutRecordBatch: request builder and response reader (reference/kds.md §1.2). The caller packs at
 * most 500 records and 4 MiB, each record at most 1,000 KiB. Like PutRecords it is a partial-success
 * API ("resend only those records that might have failed"), so every entry's outcome is returned.
 */
import type { DirectJsonClient } from '../kinesis/direct-client.js';
import { SinkResponseMismatchError } from '../kinesis/errors.js';
import { putRecordBatchBody } from './put-record-batch-body.js';

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

/** PutRecordBatch as a signed request of our own (the default path; sdk-calls.ts has the SDK one). */
export async function putRecordBatchDirect(
  direct: DirectJsonClient,
  target: PutRecordBatchTarget,
  entries: readonly FirehosePutEntry[],
  signal?: AbortSignal,
): Promise<FirehoseEntryOutcome[]> {
  const body = putRecordBatchBody(target.deliveryStreamName, entries, (bytes) => direct.bodies.take(bytes));
  // Given back once the socket has taken it; a request that fails before that leaves it to the GC.
  const answer = await direct.call('PutRecordBatch', body, target.requestTimeoutMs, signal, () => direct.bodies.give(body));
  const output = JSON.parse(answer.toString('utf8')) as { RequestResponses?: Parameters<typeof readBatchOutcomes>[1] } | null;
  return readBatchOutcomes(entries.length, output?.RequestResponses ?? []);
}

/** Maps the response entries (request order) to outcomes; missing or JSON-null fields count as absent. */
export function readBatchOutcomes(
  sent: number,
  results: readonly ({ RecordId?: string | null | undefined; ErrorCode?: string | null | undefined; ErrorMessage?: string | null | undefined } | null)[],
): FirehoseEntryOutcome[] {
  if (results.length !== sent) throw new SinkResponseMismatchError('PutRecordBatch', sent, results.length);
  const outcomes = new Array<FirehoseEntryOutcome>(sent);
  for (let i = 0; i < sent; i++) {
    const result = results[i] ?? {}; // a null entry: neither accepted nor failed, so retried
    if (typeof result.ErrorCode === 'string' && result.ErrorCode !== '') {
      outcomes[i] = { ok: false, errorCode: result.ErrorCode, errorMessage: typeof result.ErrorMessage === 'string' ? result.ErrorMessage : '' };
    } else if (typeof result.RecordId !== 'string') {
      outcomes[i] = { ok: false, errorCode: 'InternalFailure', errorMessage: 'The result entry has neither RecordId nor ErrorCode.' };
    } else {
      outcomes[i] = { ok: true };
    }
  }
  return outcomes;
}
