/** Defaults and invariant checks for spool options (SPEC.md §6). Config validation proper lives in config/. */
import { SpoolOptionsError } from './errors.js';
import type { CommonSpoolOptions, FsyncPolicy, OnFullPolicy } from './types.js';

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_SEGMENT_BYTES = 8 * 1024 * 1024;
export const MIN_SEGMENT_BYTES = 1024;
export const DEFAULT_MAX_BLOCKED_APPENDS = 1024;
export const DEFAULT_FSYNC_INTERVAL_MS = 1000;
export const DEFAULT_LEDGER_INTERVAL_MS = 1000;
export const DEFAULT_READ_MAX_ENTRIES = 500;
export const DEFAULT_READ_MAX_BYTES = 5 * 1024 * 1024;

export interface CapacityOptions {
  readonly maxBytes: number;
  readonly maxSegmentBytes: number;
  readonly onFull: OnFullPolicy;
  readonly maxBlockedAppends: number;
}

const ON_FULL: readonly OnFullPolicy[] = ['block', 'reject', 'drop-oldest'];
const FSYNC: readonly FsyncPolicy[] = ['always', 'interval', 'never'];

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SpoolOptionsError(`spool.${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

export function resolveCapacity(options: CommonSpoolOptions): CapacityOptions {
  const maxSegmentBytes = positiveInteger('maxSegmentBytes', options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES);
  if (maxSegmentBytes < MIN_SEGMENT_BYTES) {
    throw new SpoolOptionsError(`spool.maxSegmentBytes must be at least ${MIN_SEGMENT_BYTES}, got ${maxSegmentBytes}.`);
  }
  const maxBytes = positiveInteger('maxBytes', options.maxBytes ?? Math.max(DEFAULT_MAX_BYTES, 2 * maxSegmentBytes));
  if (maxBytes < 2 * maxSegmentBytes) {
    // When full there must always be a whole sealed segment to reclaim or drop (SPEC.md §6.3).
    throw new SpoolOptionsError(
      `spool.maxBytes (${maxBytes}) must be at least twice spool.maxSegmentBytes (${maxSegmentBytes}); raise maxBytes or lower maxSegmentBytes.`,
    );
  }
  const onFull = options.onFull ?? 'block';
  if (!ON_FULL.includes(onFull)) {
    throw new SpoolOptionsError(`spool.onFull must be one of ${ON_FULL.join(', ')}, got ${String(onFull)}.`);
  }
  const maxBlockedAppends = positiveInteger('maxBlockedAppends', options.maxBlockedAppends ?? DEFAULT_MAX_BLOCKED_APPENDS);
  return { maxBytes, maxSegmentBytes, onFull, maxBlockedAppends };
}

export function resolveFsync(policy: FsyncPolicy | undefined): FsyncPolicy {
  const value = policy ?? 'always';
  if (!FSYNC.includes(value)) throw new SpoolOptionsError(`spool.fsync must be one of ${FSYNC.join(', ')}, got ${String(value)}.`);
  return value;
}

export function resolveInterval(name: string, value: number | undefined, fallback: number): number {
  return positiveInteger(name, value ?? fallback);
}
