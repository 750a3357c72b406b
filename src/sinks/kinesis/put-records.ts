/**
 * PutRecords: the request builder and the response reader (reference/kds.md §1.1). The caller has
 * already packed the entries within every limit (500 entries; request bytes counting partition keys;
 * record size including its partition key). The response is read entry by entry: PutRecords is a
 * partial-success API, and the AWS SDK never retries the failed entries of an HTTP 200, so the
 * outcome of every entry is handed back for the sender to re-send only those that failed.
 */
import type { DirectJsonClient } from './direct-client.js';
import { SinkResponseMismatchError } from './errors.js';
import { putRecordsBody } from './put-records-body.js';

/** One PutRecords entry: a raw user record, or a KPL aggregate (partition key "a", EHK set). */
export interface KinesisPutEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

/** What happened to one entry: stored (on `shardId`), or failed with the service's per-record code. */
export type KinesisEntryOutcome =
  | { readonly ok: true; readonly shardId: string | undefined }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface PutRecordsTarget {
  readonly streamName: string;
  readonly requestTimeoutMs: number;
}

/** PutRecords as a signed request of our own (direct-client.ts): the default path (sdk-calls.ts has the SDK one). */
export async function putRecordsDirect(
  direct: DirectJsonClient,
  target: PutRecordsTarget,
  entries: readonly KinesisPutEntry[],
  signal?: AbortSignal,
): Promise<KinesisEntryOutcome[]> {
  const body = putRecordsBody(target.streamName, entries, (bytes) => direct.bodies.take(bytes));
  // Given back once the socket has taken all of it; a request that fails before that leaves it to the GC.
  const answer = await direct.call('PutRecords', body, target.requestTimeoutMs, signal, () => direct.bodies.give(body));
  const output = JSON.parse(answer.toString('utf8')) as { Records?: Parameters<typeof readOutcomes>[1] } | null;
  return readOutcomes(entries.length, output?.Records ?? []);
}

/**
 * Maps the response entries (same order as the request) to outcomes. Fields may be missing or JSON
 * null (kinesis-local answers `"ErrorCode": null` for a stored record; the SDK turns null into
 * undefined, our own request does not): only a non-empty string counts.
 */
export function readOutcomes(
  sent: number,
  results: readonly ({ SequenceNumber?: string | null | undefined; ShardId?: string | null | undefined; ErrorCode?: string | null | undefined; ErrorMessage?: string | null | undefined } | null)[],
): KinesisEntryOutcome[] {
  if (results.length !== sent) throw new SinkResponseMismatchError('PutRecords', sent, results.length);
  const outcomes = new Array<KinesisEntryOutcome>(sent);
  for (let i = 0; i < sent; i++) {
    const result = results[i] ?? {}; // a null entry: neither stored nor failed, so retried
    if (typeof result.ErrorCode === 'string' && result.ErrorCode !== '') {
      outcomes[i] = { ok: false, errorCode: result.ErrorCode, errorMessage: typeof result.ErrorMessage === 'string' ? result.ErrorMessage : '' };
    } else if (typeof result.SequenceNumber !== 'string') {
      // Neither a sequence number nor an error: we cannot know it was stored, so it is retried.
      outcomes[i] = { ok: false, errorCode: 'InternalFailure', errorMessage: 'The result entry has neither SequenceNumber nor ErrorCode.' };
    } else {
      outcomes[i] = { ok: true, shardId: typeof result.ShardId === 'string' ? result.ShardId : undefined };
    }
  }
  return outcomes;
}
