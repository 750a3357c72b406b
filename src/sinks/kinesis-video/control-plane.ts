/**
 * The KVS control plane as the sender needs it (kvs.md §1.1, §3): DescribeStream, CreateStream when asked
 * (only on ResourceNotFound, as the embedded C producer learned the hard way), and GetDataEndpoint for
 * PUT_MEDIA, cached for `endpointTtlMs` (producer-c refreshes every 40 min) and dropped on connection errors.
 * Calls go through @aws-sdk/client-kinesis-video (restJson1), so a local target only has to speak the wire
 * protocol. SDK errors become KinesisVideoErrors with a code and a message saying what to change.
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  type StreamInfo,
} from '@aws-sdk/client-kinesis-video';
import type { Clock, Sleep } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { CredentialProvider } from '../../aws/credentials.js';
import { KinesisVideoError } from './errors.js';

export type StreamRef = { readonly streamName: string } | { readonly streamArn: string };

export interface CreateStreamSettings {
  /** 0 = no persistence (ACKs stop at RECEIVED); otherwise hours of retention. */
  readonly dataRetentionInHours: number;
  /** Default 'video/h264'. */
  readonly mediaType?: string;
  readonly deviceName?: string;
  readonly kmsKeyId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface StreamDescription {
  readonly streamName: string;
  readonly streamArn: string;
  readonly status: string;
  readonly dataRetentionInHours: number;
  readonly mediaType: string | undefined;
}

export interface ControlPlaneOptions {
  readonly client: KinesisVideoClient;
  readonly stream: StreamRef;
  /** Create the stream when DescribeStream says it does not exist; false (default) reports the error. */
  readonly create?: CreateStreamSettings | false;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** How long a data endpoint is reused (default 40 minutes). */
  readonly endpointTtlMs?: number;
  /** While a stream is CREATING: poll interval and how long to wait for ACTIVE. */
  readonly activePollMs?: number;
  readonly activeTimeoutMs?: number;
}

export interface KinesisVideoClientOptions {
  readonly region: string;
  /** Control-plane endpoint override, e.g. the local target's http://127.0.0.1:4567. */
  readonly endpoint?: string;
  readonly credentials: CredentialProvider;
  /** SDK-level attempts per call (default 3); the sender adds its own reconnect loop on top. */
  readonly maxAttempts?: number;
}

export function createKinesisVideoClient(options: KinesisVideoClientOptions): KinesisVideoClient {
  return new KinesisVideoClient({
    region: options.region,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

const streamLabel = (ref: StreamRef): string => ('streamName' in ref ? `"${ref.streamName}"` : ref.streamArn);

/** Maps an SDK error of a control-plane call to a KinesisVideoError. */
export function controlPlaneError(error: unknown, call: string, ref: StreamRef): KinesisVideoError {
  const name = (error as { name?: string } | undefined)?.name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const detail = (error as { message?: string } | undefined)?.message ?? String(error);
  const stream = streamLabel(ref);
  switch (name) {
    case 'ResourceNotFoundException':
      return new KinesisVideoError(
        'KVS_STREAM_NOT_FOUND',
        `Kinesis video stream ${stream} does not exist (${call}); create it, or enable the sink's create option.`,
        { cause: error, awsError: name, retryable: false },
      );
    case 'AccessDeniedException':
      return new KinesisVideoError(
        'KVS_ACCESS_DENIED',
        `${call} on stream ${stream} was denied: ${detail}. Allow kinesisvideo:${call} (and PutMedia) for these credentials.`,
        { cause: error, awsError: name, retryable: false },
      );
    case 'NotAuthorizedException':
    case 'ExpiredTokenException':
      // KVS says NotAuthorized for expired tokens too: retry with refreshed credentials.
      return new KinesisVideoError(
        'KVS_ACCESS_DENIED',
        `${call} on stream ${stream} was not authorized: ${detail}. Check the credentials and the device clock.`,
        { cause: error, awsError: name, retryable: true },
      );
    case 'InvalidArgumentException':
    case 'ValidationException':
      return new KinesisVideoError('KVS_INVALID_ARGUMENT', `${call} rejected the stream settings: ${detail}.`, {
        cause: error,
        awsError: name,
        retryable: false,
      });
    default:
      return new KinesisVideoError(
        'KVS_CONTROL_PLANE_FAILED',
        `${call} for stream ${stream} failed (${name}${status === undefined ? '' : `, HTTP ${status}`}): ${detail}`,
        { cause: error, awsError: name, retryable: true },
      );
  }
}

export class KinesisVideoControlPlane {
  private readonly client: KinesisVideoClient;
  private readonly stream: StreamRef;
  private readonly create: CreateStreamSettings | false;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly endpointTtlMs: number;
  private readonly activePollMs: number;
  private readonly activeTimeoutMs: number;
  private endpoint: { readonly url: string; readonly fetchedAt: number } | undefined;
  private endpointInflight: Promise<string> | undefined;

  constructor(options: ControlPlaneOptions) {
    this.client = options.client;
    this.stream = options.stream;
    this.create = options.create ?? false;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.endpointTtlMs = options.endpointTtlMs ?? 40 * 60_000;
    this.activePollMs = options.activePollMs ?? 1_000;
    this.activeTimeoutMs = options.activeTimeoutMs ?? 120_000;
  }

  private get selector(): { StreamName: string } | { StreamARN: string } {
    return 'streamName' in this.stream ? { StreamName: this.stream.streamName } : { StreamARN: this.stream.streamArn };
  }

  /**
   * Describes the stream, creating it first if it is missing and `create` is set, and waits while it is
   * CREATING. Resolves with an ACTIVE (or UPDATING: it still takes media) stream.
   */
  async ensureStream(signal?: AbortSignal): Promise<StreamDescription> {
    let info = await this.describeOrCreate(signal);
    const deadline = this.clock.now() + this.activeTimeoutMs;
    while (info.Status === 'CREATING') {
      if (this.clock.now() >= deadline) {
        throw new KinesisVideoError('KVS_STREAM_NOT_ACTIVE', `Stream ${streamLabel(this.stream)} is still CREATING after ${this.activeTimeoutMs} ms.`);
      }
      await this.sleep(this.activePollMs, signal);
      info = await this.describe(signal);
    }
    if (info.Status === 'DELETING') {
      throw new KinesisVideoError(
        'KVS_STREAM_NOT_ACTIVE',
        `Stream ${streamLabel(this.stream)} is being deleted; ${this.create === false ? 'recreate it or enable the create option' : 'it will be recreated once gone'}.`,
        { retryable: this.create !== false },
      );
    }
    if (info.StreamARN === undefined || info.StreamName === undefined) {
      throw new KinesisVideoError('KVS_CONTROL_PLANE_FAILED', 'DescribeStream returned no StreamARN/StreamName.');
    }
    return {
      streamName: info.StreamName,
      streamArn: info.StreamARN,
      status: info.Status ?? 'ACTIVE',
      dataRetentionInHours: info.DataRetentionInHours ?? 0,
      mediaType: info.MediaType,
    };
  }

  private async describe(signal?: AbortSignal): Promise<StreamInfo> {
    try {
      const out = await this.client.send(new DescribeStreamCommand(this.selector), signal === undefined ? {} : { abortSignal: signal });
      if (out.StreamInfo === undefined) throw new KinesisVideoError('KVS_CONTROL_PLANE_FAILED', 'DescribeStream returned no StreamInfo.');
      return out.StreamInfo;
    } catch (error) {
      if (error instanceof KinesisVideoError) throw error;
      throw controlPlaneError(error, 'DescribeStream', this.stream);
    }
  }

  private async describeOrCreate(signal?: AbortSignal): Promise<StreamInfo> {
    try {
      return await this.describe(signal);
    } catch (error) {
      if (!(error instanceof KinesisVideoError) || error.code !== 'KVS_STREAM_NOT_FOUND' || this.create === false) throw error;
    }
    if (!('streamName' in this.stream)) {
      throw new KinesisVideoError('KVS_STREAM_NOT_FOUND', `Stream ${this.stream.streamArn} does not exist, and a stream cannot be created from an ARN; give streamName instead.`, { retryable: false });
    }
    const c = this.create;
    try {
      await this.client.send(
        new CreateStreamCommand({
          StreamName: this.stream.streamName,
          MediaType: c.mediaType ?? 'video/h264',
          DataRetentionInHours: c.dataRetentionInHours,
          ...(c.deviceName === undefined ? {} : { DeviceName: c.deviceName }),
          ...(c.kmsKeyId === undefined ? {} : { KmsKeyId: c.kmsKeyId }),
          ...(c.tags === undefined ? {} : { Tags: { ...c.tags } }),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (error) {
      // Someone else created it between our Describe and Create: fine.
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw controlPlaneError(error, 'CreateStream', this.stream);
    }
    return this.describe(signal);
  }

  /** The PutMedia data endpoint, from cache while younger than `endpointTtlMs`. */
  putMediaEndpoint(signal?: AbortSignal): Promise<string> {
    if (this.endpoint !== undefined && this.clock.now() - this.endpoint.fetchedAt < this.endpointTtlMs) {
      return Promise.resolve(this.endpoint.url);
    }
    this.endpointInflight ??= (async () => {
      try {
        const out = await this.client.send(
          new GetDataEndpointCommand({ ...this.selector, APIName: 'PUT_MEDIA' }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        if (out.DataEndpoint === undefined || out.DataEndpoint === '') {
          throw new KinesisVideoError('KVS_CONTROL_PLANE_FAILED', 'GetDataEndpoint returned no DataEndpoint.');
        }
        this.endpoint = { url: out.DataEndpoint, fetchedAt: this.clock.now() };
        return out.DataEndpoint;
      } catch (error) {
        if (error instanceof KinesisVideoError) throw error;
        throw controlPlaneError(error, 'GetDataEndpoint', this.stream);
      } finally {
        this.endpointInflight = undefined;
      }
    })();
    return this.endpointInflight;
  }

  /** Forgets the cached endpoint: the next putMediaEndpoint() asks GetDataEndpoint again. */
  invalidateEndpoint(): void {
    this.endpoint = undefined;
  }
}
