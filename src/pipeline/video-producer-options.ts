/**
 * The video producer's options and public interface, and how they turn into the camera's and the sink's
 * own options (with the defaults, in one place).
 */
import type { Clock, Rng, Sleep } from '../core/clock.js';
import { InvalidInputError } from '../core/errors.js';
import { staticCredentials, type AwsCredentials, type CredentialProvider } from '../aws/credentials.js';
import type { LocateOptions } from '../media/ffmpeg/index.js';
import type {
  CameraCaptureOptions,
  CameraError,
  CameraSource,
  CaptureCommand,
  CaptureLogger,
  CaptureSettings,
  PlanProbes,
  RestartBackoff,
  StopTimeouts,
} from '../sources/camera/index.js';
import type { BacklogOrder, KinesisVideoSinkOptions, KvsEventListener } from '../sinks/kinesis-video/index.js';
import type { FlushResult, VideoProducerListener, VideoProducerStats } from './video-events.js';

export interface VideoProducerOptions {
  readonly streamName: string;
  /** A parsed source, or the `--source` text: `test`, `v4l2:DEV`, `thermal:DEV`, `libcamera`, `rtsp://...`, `file:PATH`. */
  readonly source: CameraSource | string;
  readonly capture?: CaptureSettings;
  readonly aws: {
    readonly region: string;
    /** Control-plane endpoint override (the local target's URL); PutMedia goes where GetDataEndpoint says. */
    readonly endpoint?: string;
    /** Keys, or a provider; default the SDK's chain (environment, profile, instance role). */
    readonly credentials?: AwsCredentials | CredentialProvider;
  };
  /** Create the stream when it does not exist; `true` means 24 h retention. Default: report it missing. */
  readonly create?: boolean | { readonly retentionHours: number };
  readonly store: {
    readonly dir: string;
    /** Default 512 MiB. */
    readonly maxBytes?: number;
    /** Default 24 h: the longest link loss the store rides out (the oldest video is dropped first after that). */
    readonly maxDurationMs?: number;
    /** Default 'always': a fragment counts as stored only once fsynced. */
    readonly fsync?: 'always' | 'never';
    /**
     * Read size when sending (default 256 KiB): a fragment up to this size is read back in one piece; a
     * larger one is read twice, a checksum pass and a send pass (the second from the page cache), in pieces
     * of this size. The read buffers are pooled, so this is about the memory sending holds.
     */
    readonly readChunkBytes?: number;
  };
  /** After an outage: 'oldest-first' (default) or 'live-first' (see sinks/kinesis-video/delivery-schedule.ts). */
  readonly backlog?: BacklogOrder;
  readonly fragments?: {
    /** Close the open fragment when no frame arrived for this long (default 5 s; must stay under KVS's 30 s). */
    readonly idleMs?: number;
    /** Longest fragment (default 10 s, at most 20 s). */
    readonly maxMs?: number;
  };
  readonly ffmpeg?: LocateOptions;
  readonly camera?: {
    /** A ready command instead of planning one from `source`. */
    readonly command?: CaptureCommand;
    readonly backoff?: RestartBackoff;
    readonly stopTimeouts?: Partial<StopTimeouts>;
    readonly probes?: Partial<PlanProbes>;
  };
  /** Further sink settings (session timing, delivery backoff...). */
  readonly delivery?: Partial<Pick<KinesisVideoSinkOptions, 'timing' | 'backoff' | 'liveFirst' | 'maxInFlight' | 'maxAttemptsPerFragment' | 'controlPlaneMaxAttempts' | 'userAgent'>>;
  readonly logger?: CaptureLogger;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly sleep?: Sleep;
}

export interface VideoProducer {
  /** The capture command that runs (program, args, description). */
  readonly command: CaptureCommand;
  /** Adds a listener; returns a function that removes it. */
  on(listener: VideoProducerListener): () => void;
  stats(): VideoProducerStats;
  /** Stops the camera gracefully and stores the last fragment; delivery goes on. */
  stopCapture(): Promise<void>;
  /**
   * Resolves once every fragment stored so far (this run's and what earlier runs left) is confirmed by the
   * service or accounted for (evicted, skipped); rejects with the error when delivery stops for good, or
   * with the signal's reason when aborted.
   */
  flush(signal?: AbortSignal): Promise<FlushResult>;
  /** Settles when capture is over (stopCapture, the end of a replay, or a camera failure it gave up on). */
  readonly captureDone: Promise<CameraError | undefined>;
  /** Stops capture and delivery; unconfirmed fragments stay in the store for the next run. */
  close(): Promise<void>;
}


const DEFAULT_STORE_BYTES = 512 * 1024 * 1024;
const DEFAULT_STORE_DURATION_MS = 24 * 3_600_000;
const DEFAULT_IDLE_MS = 5_000;
const DEFAULT_RETENTION_HOURS = 24;
/** One read of the camera's stdout, into a buffer reused for every read (as large as a pipe's buffer). */
const STDOUT_READ_BYTES = 64 * 1024;
/**
 * Read pieces when sending (see `store.readChunkBytes`): a 1080p fragment (~1 MB) is read twice, the second
 * time from the page cache, and sending holds ~0.3 MB instead of a whole fragment.
 */
const DEFAULT_READ_CHUNK_BYTES = 256 * 1024;

/** `fragments.idleMs`, checked: the open fragment must close well before KVS's 30 s idle cut. */
export function idleTimeoutMs(options: VideoProducerOptions): number {
  const idleMs = options.fragments?.idleMs ?? DEFAULT_IDLE_MS;
  if (!(idleMs > 0 && idleMs < 30_000)) {
    throw new InvalidInputError('VIDEO_OPTIONS_INVALID', `fragments.idleMs ${idleMs} must be in (0, 30000): KVS ends a PutMedia call after 30 s without data`);
  }
  return idleMs;
}

export function captureOptions(options: VideoProducerOptions, source: CameraSource): CameraCaptureOptions {
  // exactOptionalPropertyTypes is off: undefined means "the camera's default".
  return {
    source,
    settings: options.capture,
    ffmpeg: options.ffmpeg,
    command: options.camera?.command,
    backoff: options.camera?.backoff,
    stopTimeouts: options.camera?.stopTimeouts,
    probes: options.camera?.probes,
    logger: options.logger,
    clock: options.clock,
    sleep: options.sleep,
    rng: options.rng,
    // The parser copies what it keeps (copyInput), so stdout can be read into one reused buffer.
    reuseStdoutBuffer: STDOUT_READ_BYTES,
  };
}

function credentialProvider(credentials: AwsCredentials | CredentialProvider | undefined): CredentialProvider | undefined {
  if (credentials === undefined || typeof credentials === 'function') return credentials;
  return staticCredentials(credentials);
}

export function sinkOptions(options: VideoProducerOptions, onEvent: KvsEventListener): KinesisVideoSinkOptions {
  const { create, store, aws } = options;
  return {
    ...options.delivery,
    stream: { streamName: options.streamName },
    region: aws.region,
    endpoint: aws.endpoint,
    credentials: credentialProvider(aws.credentials),
    create: create === undefined || create === false ? undefined : { dataRetentionInHours: create === true ? DEFAULT_RETENTION_HOURS : create.retentionHours },
    store: {
      dir: store.dir,
      maxBytes: store.maxBytes ?? DEFAULT_STORE_BYTES,
      maxDurationMs: store.maxDurationMs ?? DEFAULT_STORE_DURATION_MS,
      fsync: store.fsync,
      readChunkBytes: store.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES,
    },
    backlog: options.backlog,
    clock: options.clock,
    rng: options.rng,
    sleep: options.sleep,
    onEvent,
  };
}
