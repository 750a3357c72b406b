/**
 * Reading what happened to a request, and deciding each record's fate; the sender carries it out.
 *
 * - A stored entry acknowledges every user record inside (an aggregate acks all of them), unless it
 *   is an aggregate that landed on a shard other than the one its records were routed to: KCL would
 *   drop the sub-records outside that shard's range, so they are all sent again (possible
 *   duplicates, counted) and the shard map is refreshed (reference/kds.md §2.2).
 * - A failed entry re-queues only its own records (never the stored ones), grouped by error code so
 *   each group gets one retry decision (backoff, budget) instead of one per record.
 * - A request-level failure is classified once (retry/classify.ts): throttling and transient errors
 *   retry the whole request's records; configuration errors are handed back for parking (parking.ts).
 */
import { classifyError, classifyRecordErrorCode, type Classification } from '../../retry/classify.js';
import type { BuiltRequest } from './batcher.js';
import type { PendingRecord } from './pending.js';
import type { EntryOutcome } from './transport.js';

export interface ResultActions {
  /** The records are stored: acknowledge them. `entries`: Kinesis/Firehose records they travelled in. */
  deliver(records: PendingRecord[], entries: number): void;
  /** Send again after a backoff. `possibleDuplicates`: the service may have stored them already. */
  retry(records: PendingRecord[], classification: Classification, possibleDuplicates: boolean): void;
  /** The shard refused entries for throughput: slow that shard down. */
  throttled(shardId: string | undefined, entries: number): void;
  /** A result contradicts the shard map. */
  shardMapStale(): void;
}

const WRONG_SHARD: Classification = Object.freeze({ errorClass: 'transient', code: 'WrongShard', isTimeout: false, recognized: true });

export function applyOutcomes(request: BuiltRequest, outcomes: readonly EntryOutcome[], actions: ResultActions): void {
  const delivered: PendingRecord[] = [];
  let deliveredEntries = 0;
  const wrongShard: PendingRecord[] = [];
  const failed = new Map<string, { classification: Classification; records: PendingRecord[] }>();
  let mapStale = false;

  for (let i = 0; i < request.entries.length; i++) {
    const entry = request.entries[i]!;
    const outcome = outcomes[i]!;
    if (outcome.ok) {
      const predicted = entry.lane.shardId;
      if (predicted !== undefined && outcome.shardId !== undefined && outcome.shardId !== predicted) {
        mapStale = true;
        if (entry.aggregated) {
          for (const record of entry.records) wrongShard.push(record);
          continue;
        }
      }
      for (const record of entry.records) delivered.push(record);
      deliveredEntries += 1;
      continue;
    }
    const classification = classifyRecordErrorCode(outcome.errorCode);
    if (classification.errorClass === 'throttled') actions.throttled(entry.lane.shardId, 1);
    let group = failed.get(classification.code);
    if (group === undefined) failed.set(classification.code, (group = { classification, records: [] }));
    for (const record of entry.records) group.records.push(record);
  }

  if (mapStale) actions.shardMapStale();
  if (delivered.length > 0) actions.deliver(delivered, deliveredEntries);
  if (wrongShard.length > 0) actions.retry(wrongShard, WRONG_SHARD, true);
  for (const { classification, records } of failed.values()) actions.retry(records, classification, false);
}

/** What a request-level failure means for the sender: retried already, or a configuration error to park on. */
export type RequestErrorVerdict =
  | { readonly kind: 'retried'; readonly classification: Classification }
  | { readonly kind: 'configuration'; readonly classification: Classification; readonly records: PendingRecord[]; readonly message: string };

export function applyRequestError(request: BuiltRequest, error: unknown, actions: ResultActions): RequestErrorVerdict {
  const classification = classifyError(error);
  const records: PendingRecord[] = [];
  for (const entry of request.entries) for (const record of entry.records) records.push(record);
  if (classification.errorClass === 'configuration' || classification.errorClass === 'fatal-record') {
    return { kind: 'configuration', classification, records, message: errorMessage(error) };
  }
  if (classification.errorClass === 'throttled') {
    const shards = new Map<string | undefined, number>();
    for (const entry of request.entries) shards.set(entry.lane.shardId, (shards.get(entry.lane.shardId) ?? 0) + 1);
    for (const [shardId, entries] of shards) actions.throttled(shardId, entries);
  }
  actions.retry(records, classification, mayHaveBeenStored(error, classification));
  return { kind: 'retried', classification };
}

/** Network errors that happen before a request leaves: nothing can have been stored. */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

/**
 * Whether a failed request may have been stored anyway, so that sending it again may duplicate it: a
 * timeout, a garbled response, or a connection that broke mid-request. Not when the service answered
 * with an error status, nor when no connection was ever made.
 */
export function mayHaveBeenStored(error: unknown, classification: Classification): boolean {
  if (classification.isTimeout) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as { code?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: unknown };
    if (e.code === 'SINK_RESPONSE_MISMATCH') return true;
    if (typeof e.$metadata?.httpStatusCode === 'number') return false;
    if (typeof e.code === 'string' && NEVER_SENT_CODES.has(e.code)) return false;
    current = e.cause;
  }
  return true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
