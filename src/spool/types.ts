import type { SpoolIo } from './io.js';

/**
 * The spool's public shape (SPEC.md). Two implementations share it: the disk spool (segment files) and
 * the memory spool (same model, no I/O). One contract test suite runs against both.
 */

export type FsyncPolicy = 'always' | 'interval' | 'never';
export type OnFullPolicy = 'block' | 'reject' | 'drop-oldest';

/** One accepted entry, as a reader gets it back. */
export interface SpoolEntry {
  readonly seq: number;
  /** May be a view into a larger read buffer; copy it if you keep it for long. */
  readonly payload: Buffer;
}

export interface ReadLimits {
  /** Default 500 (a PutRecords batch). */
  readonly maxEntries?: number;
  /** Payload bytes. Default 5 MiB. At least one entry is returned even if it alone is larger. */
  readonly maxBytes?: number;
}

/**
 * Called by `scan` for each entry, in seq order: the payload is `buf[start, end)`. The bytes are only
 * valid during the call (copy what you keep), which lets a reader hand out a window it reuses.
 */
export type EntryVisitor = (seq: number, buf: Buffer, start: number, end: number) => void;

export interface ReadResult {
  /** In seq order; seqs may jump over entries that were dropped or found corrupt (and counted). */
  readonly entries: SpoolEntry[];
  /** The seq to pass to the next `read` to continue after these entries. */
  readonly next: number;
}

/** Why entries left the spool without being acknowledged (SPEC.md §6.3, §8.2, §8.4). */
export type SpoolDropEvent =
  | { readonly reason: 'spool-full'; readonly entries: number; readonly firstSeq: number; readonly lastSeq: number }
  | { readonly reason: 'corrupt'; readonly entries: number; readonly firstSeq: number; readonly lastSeq: number }
  | { readonly reason: 'torn-tail'; readonly bytes: number; readonly segment: string };

export type SpoolDropReason = 'spool-full' | 'corrupt';

export interface SpoolStats {
  /** Unacknowledged entries: seqs above the low-water mark, minus those acknowledged out of order. */
  readonly entries: number;
  /** Bytes the spool holds: segment files (framed entries, acknowledged ones not yet deleted included). */
  readonly bytes: number;
  readonly segments: number;
  /** The seq the next accepted entry gets. */
  readonly nextSeq: number;
  /** The low-water mark: every seq at or below it is acknowledged or dropped. */
  readonly ackedThrough: number;
  /** Entries that left without acknowledgement, by reason (never silently). */
  readonly dropped: Readonly<Record<SpoolDropReason, number>>;
  readonly corruptEntriesSkipped: number;
  readonly tornBytesTruncated: number;
  /** Times the ledger was unreadable at open and the spool fell back to re-sending everything on disk. */
  readonly ledgerResets: number;
  /** fdatasync calls on segment files (group commit keeps this far below the number of appends). */
  readonly fdatasyncs: number;
  /** Appends waiting for space (onFull 'block', or 'drop-oldest' while a segment is dropped). */
  readonly blockedAppends: number;
}

export interface Spool {
  /**
   * Accepts one payload (resolves with its seq) or a batch (resolves with consecutive seqs), once the
   * entries are accepted per the fsync policy. The payload is copied; the caller may reuse its buffer.
   */
  append(payload: Uint8Array): Promise<number>;
  append(payloads: readonly Uint8Array[]): Promise<number[]>;
  /**
   * Appends `count` entries already framed by the caller (SPEC.md §6.1: sync marker, length and payload
   * checksum filled in, seq and header checksum left for the spool), so a producer can encode records
   * straight into the buffer the spool writes. Resolves with the first seq, like a batch append. The
   * spool keeps `frames`: the caller must not change it afterwards.
   */
  appendFrames(frames: Buffer, count: number): Promise<number>;
  /** A buffer of `bytes` for `appendFrames` (recycled where the spool can). */
  frameBuffer(bytes: number): Buffer;
  /** Accepted entries from `max(fromSeq, ackedThrough + 1)` on, in order; never waits. */
  read(fromSeq: number, limits?: ReadLimits): Promise<ReadResult>;
  /**
   * The same entries as `read`, handed to `visit` one by one instead of returned as objects (no
   * allocation per entry: what a sender draining a large backlog needs). Resolves with `next`.
   */
  scan(fromSeq: number, limits: ReadLimits, visit: EntryVisitor): Promise<number>;
  /** Resolves true once an entry with seq >= fromSeq is accepted; false on close or abort. */
  waitForEntries(fromSeq: number, signal?: AbortSignal): Promise<boolean>;
  /** Acknowledges `seq`, or every seq in `[seq, throughSeq]`. Order does not matter. */
  ack(seq: number, throughSeq?: number): void;
  /** Fsyncs everything written and persists the low-water mark now. */
  sync(): Promise<void>;
  stats(): SpoolStats;
  /** Flushes, persists the mark, releases the directory. Blocked appends fail with SPOOL_CLOSED. Idempotent. */
  close(): Promise<void>;
}

export interface CommonSpoolOptions {
  /** Default 256 MiB. Must be at least 2 * maxSegmentBytes. */
  readonly maxBytes?: number;
  /** Default 8 MiB, at least 1 KiB. */
  readonly maxSegmentBytes?: number;
  /** Default 'block'. */
  readonly onFull?: OnFullPolicy;
  /** How many appends may wait for space (onFull 'block', or 'drop-oldest' during a drop) before more are refused. Default 1024. */
  readonly maxBlockedAppends?: number;
  /** Called for every loss, with counts; nothing leaves the spool silently. */
  readonly onDrop?: (event: SpoolDropEvent) => void;
  /** Background failures (a ledger write) that do not fail an operation. */
  readonly onError?: (error: Error) => void;
}

export interface DiskSpoolOptions extends CommonSpoolOptions {
  readonly dir: string;
  readonly memory?: false;
  /** Default 'always' (group commit). */
  readonly fsync?: FsyncPolicy;
  /** With fsync 'interval'. Default 1000. */
  readonly fsyncIntervalMs?: number;
  /** How long the low-water mark may wait before it is persisted. Default 1000. */
  readonly ledgerIntervalMs?: number;
  /** Filesystem port; tests wrap it to count or fail calls. Default: node:fs. */
  readonly io?: SpoolIo;
  /** Bytes of the newest accepted entries kept in memory for `scan` (SPEC.md §9.2). Default 4 MiB; 0 turns it off. */
  readonly tailCacheBytes?: number;
}

export interface MemorySpoolOptions extends CommonSpoolOptions {
  readonly memory: true;
}

export type SpoolOptions = DiskSpoolOptions | MemorySpoolOptions;
