// The SDK's public surface: re-exports only.
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
export { createVideoProducer, type FlushResult as VideoFlushResult, type VideoProducer, type VideoProducerEvent, type VideoProducerOptions, type VideoProducerStats } from './pipeline/video-producer.js';
