/** The Firehose sink's service part: one client, PutRecordBatch, per-entry outcomes. */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from '../kinesis/aws-options.js';
import { createFirehoseClient } from './client.js';
import { putRecordBatch, type FirehoseEntryOutcome, type FirehosePutEntry } from './put-record-batch.js';

export interface FirehoseTransportOptions {
  readonly deliveryStreamName: string;
  readonly aws?: AwsClientOptions;
  /** Use this client instead of making one; not destroyed by us. */
  readonly client?: FirehoseClient;
  readonly requestTimeoutMs?: number;
}

export class FirehoseTransport {
  readonly kind = 'firehose' as const;
  readonly deliveryStreamName: string;
  readonly #client: FirehoseClient;
  readonly #ownsClient: boolean;
  readonly #requestTimeoutMs: number;

  constructor(options: FirehoseTransportOptions) {
    this.deliveryStreamName = options.deliveryStreamName;
    this.#client = options.client ?? createFirehoseClient(options.aws);
    this.#ownsClient = options.client === undefined;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  describe(): string {
    return `Firehose delivery stream ${this.deliveryStreamName}`;
  }

  send(entries: readonly FirehosePutEntry[], signal?: AbortSignal): Promise<FirehoseEntryOutcome[]> {
    return putRecordBatch(this.#client, { deliveryStreamName: this.deliveryStreamName, requestTimeoutMs: this.#requestTimeoutMs }, entries, signal);
  }

  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }
}
