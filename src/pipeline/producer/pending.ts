/**
 * One user record as an object, for the rare paths that handle records one by one: dead letters, a
 * record TTL, routing an entry's records again after the shard map changed. The hot path keeps
 * records inside entries (entry.ts) instead, as bytes.
 */
export interface PendingRecord {
  readonly seq: number;
  data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Bytes the service counts: data plus UTF-8 partition key (Kinesis), or data (Firehose). */
  readonly size: number;
  readonly acceptedAtMs: number;
  /** Send attempts so far. */
  attempts: number;
  /** When the record entered its lane (clock ms), for the linger time. */
  queuedAtMs: number;
}
