/**
 * What a video producer reports: one event union for listeners (metrics, logs, progress lines) and one
 * stats snapshot. Events are per fragment at most (about one a second), never per frame.
 */
import type { CameraError, SupervisorEvent } from '../sources/camera/index.js';
import type { KinesisVideoError } from '../sinks/kinesis-video/index.js';
import type { FragmenterStats } from './video-fragmenter.js';

export type VideoProducerEvent =
  /** A new stream header (first keyframe, or the SPS/PPS changed). */
  | { readonly type: 'header'; readonly width: number; readonly height: number }
  /** A keyframe group was cut into a fragment (before it is stored). */
  | { readonly type: 'fragment-captured'; readonly timecodeMs: number; readonly durationMs: number; readonly frames: number; readonly bytes: number }
  /** The fragment is in the on-disk store (fsynced): from here on a crash does not lose it. */
  | { readonly type: 'fragment-stored'; readonly seq: number; readonly timecodeMs: number }
  /**
   * The service confirmed it (PERSISTED; RECEIVED on a stream without retention) and the store freed it.
   * `latencyMs`: from the capture of its first frame to now.
   */
  | { readonly type: 'fragment-persisted'; readonly seq: number; readonly timecodeMs: number; readonly latencyMs: number }
  /** The store was full and dropped its oldest fragment before it was delivered. */
  | { readonly type: 'fragment-evicted'; readonly seq: number; readonly timecodeMs: number; readonly cause: 'bytes' | 'duration' }
  /** Delivery gave up on a fragment (an ERROR ACK that retrying cannot fix, or too many attempts). */
  | { readonly type: 'fragment-skipped'; readonly seq: number; readonly timecodeMs: number; readonly reason: string }
  /** A fragment could not be stored (disk full, larger than the store); it is lost and counted. */
  | { readonly type: 'fragment-dropped'; readonly timecodeMs: number; readonly error: Error }
  | { readonly type: 'ack-error'; readonly errorId: number; readonly errorCode: string | undefined; readonly timecodeMs: number | undefined }
  | { readonly type: 'connected'; readonly connection: number }
  /** The PutMedia connection failed or was refused; the next attempt comes after `delayMs`. */
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly error: KinesisVideoError }
  /** Delivery stopped for good (stream deleted, access denied...); capture goes on into the store. */
  | { readonly type: 'delivery-stopped'; readonly error: KinesisVideoError }
  /** The capture process started, exited, is restarting, or gave up. */
  | { readonly type: 'camera'; readonly event: SupervisorEvent }
  /** Capture is over: the replay reached its end, stopCapture() was called, or the camera failed for good. */
  | { readonly type: 'capture-ended'; readonly error: CameraError | undefined };

export type VideoProducerListener = (event: VideoProducerEvent) => void;

export interface VideoProducerStats {
  readonly fragments: {
    readonly captured: number;
    readonly stored: number;
    readonly persisted: number;
    readonly evicted: number;
    readonly skipped: number;
    readonly dropped: number;
    readonly corrupt: number;
    /** In the store, not yet confirmed (including what a previous run left). */
    readonly pending: number;
  };
  readonly frames: FragmenterStats;
  readonly bytesCaptured: number;
  readonly ackErrors: number;
  readonly connections: number;
  readonly reconnects: number;
  readonly camera: {
    readonly state: string;
    readonly runs: number;
    readonly restarts: number;
    readonly lastError: string | undefined;
  };
  readonly store: { readonly fragments: number; readonly bytes: number; readonly durationMs: number };
  readonly delivery: { readonly state: string; readonly lastError: string | undefined };
}

/** What flush() found once nothing was left to wait for. */
export interface FlushResult {
  readonly persisted: number;
  readonly evicted: number;
  readonly skipped: number;
  readonly dropped: number;
  /** Found damaged on disk when read for sending. */
  readonly corrupt: number;
}
