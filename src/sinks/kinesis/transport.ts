/**
 * The Kinesis Data Streams sink's service part: one client, PutRecords for the sender, ListShards for
 * the shard map. Batching, aggregation, rate limiting and retries are the pipeline's; this only talks
 * to the service and reports, entry by entry, what it said.
 */
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from './aws-options.js';
import { createKinesisClient } from './client.js';
import { KinesisDirectClient } from './direct-client.js';
import { listOpenShards } from './list-shards.js';
import { putRecords, putRecordsDirect, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';

/** Connections kept with the default handler (aws-options.ts keeps the same default). */
const DEFAULT_MAX_SOCKETS = 8;

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
  /** PutRecords as our own signed request; undefined when the caller brought a client or a request handler, which then carry every call. */
  readonly #direct: KinesisDirectClient | undefined;

  constructor(options: KinesisTransportOptions) {
    this.streamName = options.streamName;
    this.#client = options.client ?? createKinesisClient(options.aws);
    this.#ownsClient = options.client === undefined;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const custom = options.client !== undefined || options.aws?.requestHandler !== undefined;
    this.#direct = custom ? undefined : new KinesisDirectClient(this.#client, options.aws?.endpoint, options.aws?.maxSockets ?? DEFAULT_MAX_SOCKETS);
  }

  /** Names the destination in messages and dead-letter lines. */
  describe(): string {
    return `Kinesis stream ${this.streamName}`;
  }

  send(entries: readonly KinesisPutEntry[], signal?: AbortSignal): Promise<KinesisEntryOutcome[]> {
    const target = { streamName: this.streamName, requestTimeoutMs: this.#requestTimeoutMs };
    return this.#direct !== undefined ? putRecordsDirect(this.#direct, target, entries, signal) : putRecords(this.#client, target, entries, signal);
  }

  listShards(signal?: AbortSignal): Promise<Shard[]> {
    return listOpenShards(this.#client, this.streamName, this.#requestTimeoutMs, signal);
  }

  destroy(): void {
    this.#direct?.destroy();
    if (this.#ownsClient) this.#client.destroy();
  }
}
