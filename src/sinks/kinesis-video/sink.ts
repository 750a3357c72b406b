/**
 * The Kinesis Video sink as the pipeline sees it: hand it the MKV stream header and then fragments (one
 * Cluster each, opaque bytes plus metadata); it stores them in the on-disk ring and delivers them with
 * PutMedia in the background. `putFragment` resolves once the fragment is on disk, whatever the link does.
 */
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import type { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { defaultCredentialProvider, type CredentialProvider } from '../../aws/credentials.js';
import type { BackoffPolicy } from './backoff.js';
import { createKinesisVideoClient, KinesisVideoControlPlane, type CreateStreamSettings, type StreamRef } from './control-plane.js';
import type { BacklogOrder, LiveFirstOptions } from './delivery-schedule.js';
import type { KinesisVideoError } from './errors.js';
import type { KvsEventListener } from './events.js';
import { FragmentStore, type FragmentMeta, type FragmentStoreOptions, type FragmentStoreStats, type StoredFragment } from './fragment-store.js';
import type { PutMediaPayloadSigning } from './put-media-request.js';
import { KinesisVideoSender, type SenderOptions, type SenderStats } from './sender.js';

export interface KinesisVideoSinkOptions {
  readonly stream: StreamRef;
  readonly region: string;
  /** Control-plane endpoint override (e.g. the local target); PutMedia goes wherever GetDataEndpoint says. */
  readonly endpoint?: string;
  /** Default: the SDK's node provider chain, cached and refreshed 5 minutes before expiry. */
  readonly credentials?: CredentialProvider;
  /** Create the stream if it does not exist (default: report KVS_STREAM_NOT_FOUND and stop). */
  readonly create?: CreateStreamSettings | false;
  readonly store: Omit<FragmentStoreOptions, 'onEvent'>;
  readonly backlog?: BacklogOrder;
  readonly liveFirst?: LiveFirstOptions;
  readonly timing?: SenderOptions['timing'];
  readonly backoff?: BackoffPolicy;
  readonly maxAttemptsPerFragment?: number;
  readonly maxInFlight?: number;
  readonly payloadSigning?: PutMediaPayloadSigning;
  readonly userAgent?: string;
  /** Control-plane SDK attempts per call (default 3). */
  readonly controlPlaneMaxAttempts?: number;
  /** A ready client instead of one built from region/endpoint/credentials. */
  readonly client?: KinesisVideoClient;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly sleep?: Sleep;
  readonly onEvent?: KvsEventListener;
}

export interface KinesisVideoSinkStats {
  readonly store: FragmentStoreStats;
  readonly sender: SenderStats;
}

export class KinesisVideoSink {
  private constructor(
    private readonly store: FragmentStore,
    private readonly sender: KinesisVideoSender,
    private readonly client: KinesisVideoClient,
    private readonly ownsClient: boolean,
  ) {}

  /** Opens the store (recovering what a previous run left) and starts delivering in the background. */
  static async open(options: KinesisVideoSinkOptions): Promise<KinesisVideoSink> {
    const emit = options.onEvent ?? (() => {});
    const store = await FragmentStore.open({ ...options.store, onEvent: emit });
    const credentials = options.credentials ?? defaultCredentialProvider(options.clock === undefined ? {} : { clock: options.clock });
    const client =
      options.client ??
      createKinesisVideoClient({
        region: options.region,
        credentials,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(options.controlPlaneMaxAttempts === undefined ? {} : { maxAttempts: options.controlPlaneMaxAttempts }),
      });
    const controlPlane = new KinesisVideoControlPlane({
      client,
      stream: options.stream,
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
    const sender = new KinesisVideoSender({
      store,
      controlPlane,
      stream: options.stream,
      region: options.region,
      credentials,
      onEvent: emit,
      ...pick(options, ['userAgent', 'payloadSigning', 'backlog', 'liveFirst', 'timing', 'backoff', 'maxAttemptsPerFragment', 'maxInFlight', 'clock', 'rng', 'sleep']),
    });
    sender.start();
    return new KinesisVideoSink(store, sender, client, options.client === undefined);
  }

  /** Stores the MKV stream header (EBML + Segment + Info + Tracks) for the fragments that follow. */
  async putHeader(bytes: Uint8Array): Promise<void> {
    await this.store.putHeader(bytes);
  }

  /** Stores one fragment (a Cluster starting at a keyframe, optionally with Tags); resolves once on disk. */
  putFragment(bytes: Uint8Array, meta: FragmentMeta): Promise<StoredFragment> {
    return this.store.append(bytes, meta);
  }

  /** Resolves when the sink is closed, or with the error that stopped delivery. */
  get done(): Promise<KinesisVideoError | undefined> {
    return this.sender.done;
  }

  stats(): KinesisVideoSinkStats {
    return { store: this.store.stats(), sender: this.sender.stats() };
  }

  /** Stops delivery (in-flight fragments drain briefly) and closes the store; unsent fragments stay on disk. */
  async close(): Promise<void> {
    await this.sender.close();
    await this.store.close();
    if (this.ownsClient) this.client.destroy();
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
