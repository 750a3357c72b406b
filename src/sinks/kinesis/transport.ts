/**
 * The Kinesis Data Streams sink's service part: PutRecords for the sender, ListShards for the shard
 * map. Batching, aggregation, rate limiting and retries are the pipeline's; this only talks to the
 * service and reports, entry by entry, what it said.
 *
 * Requests are our own (direct-client.ts), unless the application brings an SDK client or an SDK
 * request handler: then they go through that client (sdk-calls.ts, loaded only in that case).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from './aws-options.js';
import type { DirectJsonClient } from './direct-client.js';
import { sendPaths, type LazySdkPath } from './lazy-sdk.js';
import { listOpenShards, type KinesisShard, type ListShardsInput, type ListShardsOutput } from './list-shards.js';
import { putRecordsDirect, type KinesisEntryOutcome, type KinesisPutEntry } from './put-records.js';
import { KINESIS_SERVICE } from './services.js';

export interface KinesisTransportOptions {
  readonly streamName: string;
  readonly aws?: AwsClientOptions;
  /** Send through this SDK client instead (tests, or an application sharing its client). Not destroyed by us. */
  readonly client?: KinesisClient;
  /** Per request; default 30,000 ms. */
  readonly requestTimeoutMs?: number;
}

export class KinesisTransport {
  readonly kind = 'kinesis' as const;
  readonly streamName: string;
  readonly #requestTimeoutMs: number;
  /** Our own requests: the default. */
  readonly #direct: DirectJsonClient | undefined;
  /** Set when the caller brought an SDK client or request handler. */
  readonly #sdk: LazySdkPath<KinesisClient, typeof import('./sdk-calls.js')> | undefined;

  constructor(options: KinesisTransportOptions) {
    this.streamName = options.streamName;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const paths = sendPaths(
      KINESIS_SERVICE,
      options.aws ?? {},
      options.client,
      async (aws) => ({ calls: await import('./sdk-calls.js'), client: options.client ?? (await import('./client.js')).createKinesisClient(aws) }),
      this.describe(),
    );
    this.#direct = paths.direct;
    this.#sdk = paths.sdk;
  }

  /** Names the destination in messages and dead-letter lines. */
  describe(): string {
    return `Kinesis stream ${this.streamName}`;
  }

  async send(entries: readonly KinesisPutEntry[], signal?: AbortSignal): Promise<KinesisEntryOutcome[]> {
    const target = { streamName: this.streamName, requestTimeoutMs: this.#requestTimeoutMs };
    if (this.#direct !== undefined) return putRecordsDirect(this.#direct, target, entries, signal);
    const sdk = await this.#sdk!.get();
    return sdk.calls.putRecordsWithSdk(sdk.client, target, entries, signal);
  }

  listShards(signal?: AbortSignal): Promise<KinesisShard[]> {
    return listOpenShards((input) => this.#listShardsPage(input, signal), this.streamName);
  }

  destroy(): void {
    this.#direct?.destroy();
    this.#sdk?.destroy();
  }

  async #listShardsPage(input: ListShardsInput, signal?: AbortSignal): Promise<ListShardsOutput> {
    if (this.#direct !== undefined) {
      const answer = await this.#direct.call('ListShards', Buffer.from(JSON.stringify(input)), this.#requestTimeoutMs, signal);
      return parseListShardsAnswer(answer);
    }
    const sdk = await this.#sdk!.get();
    return sdk.calls.listShardsPageWithSdk(sdk.client, input, this.#requestTimeoutMs, signal);
  }
}

/**
 * Peers answer JSON null for absent fields (kinesis-local: `"EndingSequenceNumber": null` on an open
 * shard, which would read as closed); the SDK drops them, and null list members, and so do we. A page
 * is small and rare, so a reviver costs nothing that matters.
 */
export function parseListShardsAnswer(answer: Buffer): ListShardsOutput {
  const parsed: unknown = JSON.parse(answer.toString('utf8'), (_key, value: unknown) =>
    value === null ? undefined : Array.isArray(value) ? value.filter((member) => member !== undefined) : value,
  );
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as ListShardsOutput) : {};
}
