// The Kinesis Video sink's public surface: re-exports only.
export { KinesisVideoSink, type KinesisVideoSinkOptions, type KinesisVideoSinkStats } from './sink.js';
export { KinesisVideoSender, DEFAULT_SESSION_TIMING, type SenderOptions, type SenderStats, type SenderState } from './sender.js';
export { PutMediaSession, type PutMediaSessionOptions } from './put-media-session.js';
export type { SessionOutcome, SessionTiming } from './session-outcome.js';
export { blameFragment, decideOnErrorAck, type ErrorAckDecision } from './error-ack-policy.js';
export { endOfFragmentTags, END_OF_FRAGMENT_TAG_NAME } from './end-of-fragment.js';
export { openPutMediaRequest, putMediaHeaders, formatProducerStartTimestamp, PUT_MEDIA_PATH, KVS_SIGNING_NAME, type PutMediaPayloadSigning } from './put-media-request.js';
export { AckParser, type Ack, type FragmentAck, type ErrorAck, type IdleAck, type MalformedAck, type AckParserOutput } from './ack-parser.js';
export { classifyAckError, type AckErrorAction, type AckErrorClass } from './ack-errors.js';
export { FragmentStore, type FragmentMeta, type StoredFragment, type FragmentStoreOptions, type FragmentStoreStats, type FragmentStoreEvent } from './fragment-store.js';
export { KinesisVideoControlPlane, createKinesisVideoClient, controlPlaneError, type CreateStreamSettings, type StreamDescription, type StreamRef } from './control-plane.js';
export { createDeliverySchedule, type BacklogOrder, type LiveFirstOptions, type SessionCursor, type SessionKind } from './delivery-schedule.js';
export { BufferPool } from './buffer-pool.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { KinesisVideoError, type KinesisVideoErrorCode } from './errors.js';
export type { KvsDeliveryEvent, KvsEventListener, SessionEndReason } from './events.js';
