/**
 * The Firehose sink's service part: PutRecordBatch and its per-entry outcomes. Requests are our own
 * (sinks/kinesis/direct-client.ts), unless the application brings an SDK client or request handler:
 * then they go through that client (sdk-calls.ts, loaded only in that case).
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from '../kinesis/aws-options.js';
import type { DirectJsonClient } from '../kinesis/direct-client.js';
import { sendPaths, type LazySdkPath } from '../kinesis/lazy-sdk.js';
import { FIREHOSE_SERVICE } from '../kinesis/services.js';
import { putRecordBatchDirect, type FirehoseEntryOutcome, type FirehosePutEntry } from './put-record-batch.js';

export interface FirehoseTransportOptions {
  readonly deliveryStreamName: string;
  readonly aws?: AwsClientOptions;
  /** Send through this SDK client instead; not destroyed by us. */
  readonly client?: FirehoseClient;
  readonly requestTimeoutMs?: number;
}

export class FirehoseTransport {
  readonly kind = 'firehose' as const;
  readonly deliveryStreamName: string;
  readonly #requestTimeoutMs: number;
  readonly #direct: DirectJsonClient | undefined;
  readonly #sdk: LazySdkPath<FirehoseClient, typeof import('./sdk-calls.js')> | undefined;

  constructor(options: FirehoseTransportOptions) {
    this.deliveryStreamName = options.deliveryStreamName;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const paths = sendPaths(
      FIREHOSE_SERVICE,
      options.aws ?? {},
      options.client,
      async (aws) => ({ calls: await import('./sdk-calls.js'), client: options.client ?? (await import('./client.js')).createFirehoseClient(aws) }),
      this.describe(),
    );
    this.#direct = paths.direct;
    this.#sdk = paths.sdk;
  }

  describe(): string {
    return `Firehose delivery stream ${this.deliveryStreamName}`;
  }

  async send(entries: readonly FirehosePutEntry[], signal?: AbortSignal): Promise<FirehoseEntryOutcome[]> {
    const target = { deliveryStreamName: this.deliveryStreamName, requestTimeoutMs: this.#requestTimeoutMs };
    if (this.#direct !== undefined) return putRecordBatchDirect(this.#direct, target, entries, signal);
    const sdk = await this.#sdk!.get();
    return sdk.calls.putRecordBatchWithSdk(sdk.client, target, entries, signal);
  }

  destroy(): void {
    this.#direct?.destroy();
    this.#sdk?.destroy();
  }
}
