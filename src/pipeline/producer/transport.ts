/**
 * What the sender needs from a sink's service part (sinks/kinesis/transport.ts,
 * sinks/firehose/transport.ts implement it structurally): send entries and learn each one's fate;
 * for Kinesis, list the open shards.
 */
import type { ShardDescription } from '../shard-map.js';

export interface SinkEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

export type EntryOutcome =
  | { readonly ok: true; readonly shardId?: string | undefined }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface SinkTransport {
  readonly kind: 'kinesis' | 'firehose';
  /** Names the destination in messages and dead-letter lines, e.g. `Kinesis stream telemetry`. */
  describe(): string;
  /** One request. Throws for request-level errors; otherwise one outcome per entry, in order. */
  send(entries: readonly SinkEntry[], signal?: AbortSignal): Promise<readonly EntryOutcome[]>;
  /** Kinesis only: the stream's open shards (all ListShards pages). */
  listShards?(signal?: AbortSignal): Promise<readonly ShardDescription[]>;
  destroy(): void;
}
