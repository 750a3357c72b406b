/**
 * The producer's counters (`stats()`), and the same numbers as Prometheus text for the daemon's
 * /metrics. Counters only ever grow (since this producer was created); gauges describe now.
 */
import type { SpoolStats } from '../../spool/types.js';
import type { ParkedInfo, SenderState } from './parking.js';

export type ProducerState = 'running' | 'parked' | 'dead-lettering' | 'closing' | 'closed';

/** Why records left without delivery. Every one is counted, never silent. */
export type DropReason = 'spool-full' | 'corrupt' | 'memory-spool-closed';

export interface ProducerStats {
  readonly state: ProducerState;
  /** Set while parked or dead-lettering: the configuration error and how long it has lasted. */
  readonly parked: ParkedInfo | undefined;
  /** put() calls that resolved (the record is in the spool). */
  readonly accepted: number;
  /** put() calls refused, by error code (RECORD_TOO_LARGE, SPOOL_FULL, PRODUCER_BACKPRESSURE, ...). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Unacknowledged records found in the spool at start (left by an earlier run). */
  readonly recovered: number;
  /** User records the service stored (each user record of an aggregate counts). */
  readonly delivered: number;
  /** Kinesis records / Firehose records sent successfully (an aggregate counts once). */
  readonly deliveredEntries: number;
  /** Times a record was queued again after a failed attempt. */
  readonly retried: number;
  /** Records written to the dead-letter file (or reported, with a memory spool). */
  readonly deadLettered: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Records re-sent after an outcome that may have stored them anyway (timeout, wrong shard, response mismatch). */
  readonly possibleDuplicates: number;
  /** Entries the service refused with a throttling code. */
  readonly throttled: number;
  /** Records read from the spool and not yet settled (queued, in flight or waiting to retry). */
  readonly held: number;
  readonly inFlightRequests: number;
  readonly requests: { readonly sent: number; readonly failed: number };
  /** Kinesis: the shard map in use (undefined before the first ListShards answer, or for Firehose). */
  readonly shards: number | undefined;
  readonly spool: SpoolStats;
}

export class ProducerCounters {
  accepted = 0;
  readonly rejected: Record<string, number> = {};
  recovered = 0;
  delivered = 0;
  deliveredEntries = 0;
  retried = 0;
  deadLettered = 0;
  readonly dropped: Record<DropReason, number> = { 'spool-full': 0, corrupt: 0, 'memory-spool-closed': 0 };
  possibleDuplicates = 0;
  throttled = 0;
  requestsSent = 0;
  requestsFailed = 0;

  reject(code: string, records = 1): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + records;
  }
}

export function stateOf(closing: boolean, closed: boolean, sender: SenderState): ProducerState {
  if (closed) return 'closed';
  if (closing) return 'closing';
  return sender;
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Prometheus text exposition of the stats, labelled with the sink (e.g. `{sink="kinesis",stream="telemetry"}`). */
export function producerMetrics(stats: ProducerStats, labels: Readonly<Record<string, string>> = {}): string {
  const base = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  const label = (extra: Record<string, string> = {}): string => {
    const all = [...base, ...Object.entries(extra).map(([k, v]) => `${k}="${escapeLabel(v)}"`)];
    return all.length === 0 ? '' : `{${all.join(',')}}`;
  };
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly [Record<string, string>, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [extra, value] of samples) lines.push(`${name}${label(extra)} ${value}`);
  };
  metric('kedge_producer_records_accepted_total', 'counter', 'Records put() accepted into the spool.', [[{}, stats.accepted]]);
  metric(
    'kedge_producer_records_rejected_total',
    'counter',
    'put() calls refused, by error code.',
    Object.entries(stats.rejected).map(([code, n]) => [{ code }, n]),
  );
  metric('kedge_producer_records_delivered_total', 'counter', 'User records the service stored.', [[{}, stats.delivered]]);
  metric('kedge_producer_records_retried_total', 'counter', 'Record send attempts that failed and were queued again.', [[{}, stats.retried]]);
  metric('kedge_producer_records_dead_lettered_total', 'counter', 'Records written to the dead-letter file.', [[{}, stats.deadLettered]]);
  metric(
    'kedge_producer_records_dropped_total',
    'counter',
    'Records dropped without delivery, by reason.',
    Object.entries(stats.dropped).map(([reason, n]) => [{ reason }, n]),
  );
  metric('kedge_producer_records_possible_duplicates_total', 'counter', 'Records re-sent after an outcome that may have stored them.', [[{}, stats.possibleDuplicates]]);
  metric('kedge_producer_entries_throttled_total', 'counter', 'Entries the service refused with a throttling code.', [[{}, stats.throttled]]);
  metric('kedge_producer_requests_total', 'counter', 'Requests sent, by result.', [
    [{ result: 'ok' }, stats.requests.sent - stats.requests.failed],
    [{ result: 'error' }, stats.requests.failed],
  ]);
  metric('kedge_producer_records_held', 'gauge', 'Records read from the spool and not yet settled.', [[{}, stats.held]]);
  metric('kedge_producer_spool_entries', 'gauge', 'Unacknowledged entries in the spool.', [[{}, stats.spool.entries]]);
  metric('kedge_producer_spool_bytes', 'gauge', 'Bytes the spool holds.', [[{}, stats.spool.bytes]]);
  metric('kedge_producer_parked', 'gauge', '1 while sending is parked by a configuration error.', [[{}, stats.state === 'parked' || stats.state === 'dead-lettering' ? 1 : 0]]);
  return lines.join('\n') + '\n';
}
