/**
 * Reading what happened to a request, and deciding each entry's fate; the sender carries it out.
 *
 * - A stored entry acknowledges every user record inside (an aggregate acks all of them), unless it
 *   is an aggregate that landed on a shard other than the one its records were routed to: KCL would
 *   drop the sub-records outside that shard's range, so they are all sent again, routed anew
 *   (possible duplicates, counted), and the shard map is refreshed (reference/kds.md §2.2).
 * - A failed entry is sent again, and only it (never the stored ones); failed entries are grouped
 *   by error code so each group gets one retry decision (backoff, budget) instead of one per entry.
 * - A request-level failure is classified once (retry/classify.ts): throttling and transient errors
 *   retry the whole request's entries; configuration errors are handed back for parking (parking.ts).
 */
import { classifyError, classifyRecordErrorCode, type Classification } from '../../retry/classify.js';
import type { BuiltRequest } from './batcher.js';
import type { SendEntry } from './entry.js';
import type { EntryOutcome } from './transport.js';

export interface ResultActions {
  /** The entries are stored: acknowledge their records. */
  deliver(entries: SendEntry[]): void;
  /**
   * Send again after a backoff. `possibleDuplicates`: the service may have stored them already.
   * `reroute`: route their records again (the shard map was wrong) instead of re-sending the entries as they are.
   */
  retry(entries: SendEntry[], classification: Classification, possibleDuplicates: boolean, reroute?: boolean): void;
  /** The shard refused entries for throughput: slow that shard down. */
  throttled(shardId: string | undefined, entries: number): void;
  /** A result contradicts the shard map. */
  shardMapStale(): void;
}

const WRONG_SHARD: Classification = Object.freeze({ errorClass: 'transient', code: 'WrongShard', isTimeout: false, recognized: true });

export function applyOutcomes(request: BuiltRequest, outcomes: readonly EntryOutcome[], actions: ResultActions): void {
  const delivered: SendEntry[] = [];
  const wrongShard: SendEntry[] = [];
  const failed = new Map<string, { classification: Classification; entries: SendEntry[] }>();
  let mapStale = false;

  for (let i = 0; i < request.entries.length; i++) {
    const entry = request.entries[i]!;
    const outcome = outcomes[i]!;
    if (outcome.ok) {
      const predicted = entry.lane.shardId;
      if (predicted !== undefined && outcome.shardId !== undefined && outcome.shardId !== predicted) {
        mapStale = true;
        if (entry.aggregated) {
          wrongShard.push(entry);
          continue;
        }
      }
      delivered.push(entry);
      continue;
    }
    const classification = classifyRecordErrorCode(outcome.errorCode);
    if (classification.errorClass === 'throttled') actions.throttled(entry.lane.shardId, 1);
    let group = failed.get(classification.code);
    if (group === undefined) failed.set(classification.code, (group = { classification, entries: [] }));
    group.entries.push(entry);
  }

  if (mapStale) actions.shardMapStale();
  if (delivered.length > 0) actions.deliver(delivered);
  if (wrongShard.length > 0) actions.retry(wrongShard, WRONG_SHARD, true, true);
  for (const { classification, entries } of failed.values()) actions.retry(entries, classification, false);
}

/** What a request-level failure means for the sender: retried already, or a configuration error to park on. */
export type RequestErrorVerdict =
  | { readonly kind: 'retried'; readonly classification: Classification }
  | { readonly kind: 'configuration'; readonly classification: Classification; readonly entries: SendEntry[]; readonly message: string };

export function applyRequestError(request: BuiltRequest, error: unknown, actions: ResultActions): RequestErrorVerdict {
  const classification = classifyError(error);
  const entries = [...request.entries];
  if (classification.errorClass === 'configuration' || classification.errorClass === 'fatal-record') {
    return { kind: 'configuration', classification, entries, message: errorMessage(error) };
  }
  if (classification.errorClass === 'throttled') {
    const shards = new Map<string | undefined, number>();
    for (const entry of request.entries) shards.set(entry.lane.shardId, (shards.get(entry.lane.shardId) ?? 0) + 1);
    for (const [shardId, count] of shards) actions.throttled(shardId, count);
  }
  actions.retry(entries, classification, mayHaveBeenStored(error, classification));
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
