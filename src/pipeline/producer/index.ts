/** The producer SDK: createProducer and everything its options, stats and events are made of. */
export { createProducer, Producer, type CloseOptions, type FlushOptions } from './producer.js';
export { EnvelopeError, FlushTimeoutError, ProducerBackpressureError, ProducerClosedError, ProducerOptionsError } from './errors.js';
export type {
  DeadLetteredEvent,
  DeliveredEvent,
  DroppedEvent,
  ParkedEvent,
  ProducerEventMap,
  ResumedEvent,
  RetriedEvent,
} from './events.js';
export type { DeadLetterLine } from './dead-letter.js';
export {
  PRODUCER_DEFAULTS,
  type FirehoseSinkOptions,
  type KinesisSinkOptions,
  type ProducerOptions,
  type ProducerSpoolOptions,
  type SinkOptions,
} from './options.js';
export { PARKING_DEFAULTS, type ParkedInfo, type ParkingOptions, type SenderState } from './parking.js';
export type { BackpressurePolicy } from './put-gate.js';
export type { NewlineMode, PutOptions, RecordInput } from './record-input.js';
export { producerMetrics, type DropReason, type ProducerState, type ProducerStats } from './stats.js';
export type { EntryOutcome, SinkEntry, SinkTransport } from './transport.js';
