// The SDK's public surface: re-exports, and one loader that keeps the video side out of data-only processes.
export { KedgeError, InvalidInputError } from './core/errors.js';
export type { Clock, Rng, Sleep } from './core/clock.js';
export { InvalidRecordError, type InvalidRecordCode } from './core/record-validation.js';
export {
  createProducer,
  EnvelopeError,
  FlushTimeoutError,
  Producer,
  PRODUCER_DEFAULTS,
  ProducerBackpressureError,
  ProducerClosedError,
  ProducerOptionsError,
  producerMetrics,
  PARKING_DEFAULTS,
  type BackpressurePolicy,
  type CloseOptions,
  type DeadLetteredEvent,
  type DeadLetterLine,
  type DeliveredEvent,
  type DropReason,
  type DroppedEvent,
  type EntryOutcome,
  type FirehoseSinkOptions,
  type FlushOptions,
  type KinesisSinkOptions,
  type NewlineMode,
  type ParkedEvent,
  type ParkedInfo,
  type ParkingOptions,
  type ProducerEventMap,
  type ProducerOptions,
  type ProducerSpoolOptions,
  type ProducerState,
  type ProducerStats,
  type PutOptions,
  type RecordInput,
  type ResumedEvent,
  type RetriedEvent,
  type SenderState,
  type SinkEntry,
  type SinkOptions,
  type SinkTransport,
} from './pipeline/producer/index.js';
export { SinkRequestTimeoutError, SinkResponseMismatchError } from './sinks/kinesis/errors.js';
export type { AwsClientOptions } from './sinks/kinesis/aws-options.js';
export { SpoolClosedError, SpoolFullError, SpoolIoError, SpoolLockedError, type FsyncPolicy, type OnFullPolicy, type SpoolStats } from './spool/index.js';
import type { VideoProducer, VideoProducerOptions } from './pipeline/video-producer.js';
export type { FlushResult as VideoFlushResult, VideoProducer, VideoProducerEvent, VideoProducerOptions, VideoProducerStats } from './pipeline/video-producer.js';

/**
 * Streams one camera to one Kinesis video stream (pipeline/video-producer.ts). The video side — the
 * Kinesis Video SDK client, the camera supervisor, ffmpeg command building — is loaded on the first
 * call, not when `kedge` is imported: a data-only producer on a 1 GB device would otherwise carry
 * ~16 MB of RSS for modules it never runs.
 */
export async function createVideoProducer(options: VideoProducerOptions): Promise<VideoProducer> {
  const video = await import('./pipeline/video-producer.js');
  return video.createVideoProducer(options);
}
