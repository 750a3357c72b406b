/**
 * The producer's events. Counts, never one event per record on the hot path: a `delivered` event
 * per response, a `retried` event per failed group, and so on.
 */
import type { ErrorClass } from '../../retry/classify.js';
import type { DeadLetterLine } from './dead-letter.js';
import type { SenderState } from './parking.js';
import type { DropReason } from './stats.js';

export interface DeliveredEvent {
  /** User records stored. */
  readonly records: number;
  /** Kinesis records (aggregates count once) or Firehose records that carried them. */
  readonly entries: number;
}

export interface RetriedEvent {
  readonly records: number;
  /** The error code (e.g. ProvisionedThroughputExceededException, InternalFailure, TimeoutError, WrongShard). */
  readonly code: string;
  readonly errorClass: ErrorClass;
  readonly delayMs: number;
  /** The service may have stored these already (timeout, wrong shard): a duplicate may follow. */
  readonly possibleDuplicates: boolean;
}

export interface DeadLetteredEvent {
  readonly records: number;
  readonly reason: string;
  readonly code: string;
  /** The dead-letter file, or undefined with a memory spool and no deadLetterPath (then `lines` has them). */
  readonly path: string | undefined;
  readonly lines?: readonly DeadLetterLine[];
}

export interface DroppedEvent {
  readonly records: number;
  readonly reason: DropReason;
}

export interface ParkedEvent {
  readonly state: SenderState;
  readonly code: string;
  readonly message: string;
  readonly checks: number;
  readonly sinceMs: number;
  readonly nextCheckAtMs: number;
}

export interface ResumedEvent {
  /** The configuration error that had parked sending. */
  readonly code: string;
  readonly parkedMs: number;
}

export interface ProducerEventMap {
  delivered: [DeliveredEvent];
  retried: [RetriedEvent];
  'dead-lettered': [DeadLetteredEvent];
  dropped: [DroppedEvent];
  parked: [ParkedEvent];
  resumed: [ResumedEvent];
  /** Background failures that lose nothing (a spool read, a dead-letter write to be retried). Only emitted if listened to. */
  error: [Error];
}

export type Emit = <K extends keyof ProducerEventMap>(event: K, ...args: ProducerEventMap[K]) => void;
