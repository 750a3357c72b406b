/**
 * What the Kinesis Video sink reports while it works: one discriminated union, delivered to one callback,
 * so the daemon can turn it into metrics and logs (never logged per fragment at info level).
 */
import type { Ack, ErrorAck, MalformedAck } from './ack-parser.js';
import type { AckErrorClass } from './ack-errors.js';
import type { SessionKind } from './delivery-schedule.js';
import type { KinesisVideoError } from './errors.js';
import type { FragmentStoreEvent, StoredFragment } from './fragment-store.js';

/** Why a session ended without an error. */
export type SessionEndReason =
  | 'rotation'
  | 'schedule'
  | 'header-change'
  | 'timecode-regress'
  | 'server-closed-idle'
  | 'closing';

export type KvsDeliveryEvent =
  | FragmentStoreEvent
  | { readonly type: 'connecting'; readonly connectionId: number; readonly endpoint: string; readonly kind: SessionKind; readonly firstSeq: number }
  | { readonly type: 'connected'; readonly connectionId: number }
  | { readonly type: 'fragment-sent'; readonly connectionId: number; readonly fragment: StoredFragment }
  | { readonly type: 'ack'; readonly connectionId: number; readonly ack: Ack; readonly seq: number | undefined }
  | { readonly type: 'malformed-ack'; readonly connectionId: number; readonly ack: MalformedAck }
  | { readonly type: 'unmatched-ack'; readonly connectionId: number; readonly ack: Ack }
  | { readonly type: 'error-ack'; readonly connectionId: number; readonly ack: ErrorAck; readonly errorClass: AckErrorClass; readonly seq: number | undefined }
  | { readonly type: 'fragment-skipped'; readonly fragment: StoredFragment; readonly reason: string }
  | { readonly type: 'session-ended'; readonly connectionId: number; readonly reason: SessionEndReason | 'reconnect' | 'failed' | 'stopped' | 'aborted'; readonly detail?: string; readonly error?: KinesisVideoError }
  | { readonly type: 'retrying'; readonly attempt: number; readonly delayMs: number; readonly error: KinesisVideoError }
  | { readonly type: 'stopped'; readonly error: KinesisVideoError };

export type KvsEventListener = (event: KvsDeliveryEvent) => void;
