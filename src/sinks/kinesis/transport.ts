/**
 * The Kinesis Data Streams sink's service part: one client, PutRecords for the sender, ListShards for
 * the shard map. Batching, aggregation, rate limiting and retries are the pipeline's; this only talks
 * to the service and reports, entry by entry, what it said.
 */
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from './aws-options.js';
import { createKinesisClient } from './client.js';
import { listOpenShards } from './list-shards.js';
import { putRecords, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';

export interface KinesisTransportOptions {
  readonly streamName: string;
  readonly aws?: AwsClientOptions;
  /** Use this client instead of making one (tests, or an application sharing its client). Not destroyed by us. */
  readonly client?: KinesisClient;
  /** Per request; default 30,000 ms. */
  readonly requestTimeoutMs?: number;
}

export class KinesisTransport {
  readonly kind = 'kinesis' as const;
  readonly streamName: string;
  readonly #client: KinesisClient;
  readonly #ownsClient: boolean;
  readonly #requestTimeoutMs: number;

  constructor(options: KinesisTransportOptions) {
    this.streamName = options.streamName;
    this.#client = options.client ?? createKinesisClient(options.aws);
    this.#ownsClient = options.client === undefined;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Names the destination in messages and dead-letter lines. */
  describe(): string {
    return `Kinesis stream ${this.streamName}`;
  }

  send(entries: readonly KinesisPutEntry[], signal?: AbortSignal): Promise<KinesisEntryOutcome[]> {
    return putRecords(this.#client, { streamName: this.streamName, requestTimeoutMs: this.#requestTimeoutMs }, entries, signal);
  }

  listShards(signal?: AbortSignal): Promise<Shard[]> {
    return listOpenShards(this.#client, this.streamName, this.#requestTimeoutMs, signal);
  }

  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }
}
