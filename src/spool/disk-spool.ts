/**
 * The disk spool: wires the segment table, writer (group commit), reader, ack tracker, ledger and
 * admission together (SPEC.md). Each part has one job; this file only decides when they run.
 */
import { join } from 'node:path';
import { AckTracker } from './ack-tracker.js';
import { Admission } from './admission.js';
import { SpoolCounters } from './counters.js';
import { SpoolClosedError } from './errors.js';
import { nodeSpoolIo, type SpoolIo } from './io.js';
import { LEDGER_TEMP_FILE, writeLedger } from './ledger.js';
import { acquireLock } from './lock.js';
import {
  DEFAULT_LEDGER_INTERVAL_MS,
  DEFAULT_FSYNC_INTERVAL_MS,
  DEFAULT_READ_MAX_BYTES,
  DEFAULT_READ_MAX_ENTRIES,
  resolveCapacity,
  resolveFsync,
  resolveInterval,
  type CapacityOptions,
} from './options.js';
import { checkAckRange, framedBytes, framesBytes } from './payloads.js';
import { prepareFrames } from './entry-codec.js';
import { SegmentReader } from './reader.js';
import { FRAME_BUFFER_BYTES, FrameBuffers } from './frame-buffers.js';
import { TailCache } from './tail-cache.js';
import { recoverSpool } from './recovery.js';
import type { SegmentTable } from './segments.js';
import type { DiskSpoolOptions, EntryVisitor, ReadLimits, ReadResult, Spool, SpoolStats } from './types.js';
import { EntryWaiters } from './waiters.js';
import { SegmentWriter } from './writer.js';

/**
 * Memory kept for the newest accepted entries (TailCache): enough for a sender that reads a few
 * hundred KiB at a time to stay in memory while it keeps up, small enough not to matter on a device.
 */
const DEFAULT_TAIL_CACHE_BYTES = 4 * 1024 * 1024;

export async function openDiskSpool(options: DiskSpoolOptions): Promise<Spool> {
  const capacity = resolveCapacity(options);
  const fsync = resolveFsync(options.fsync);
  const fsyncIntervalMs = resolveInterval('fsyncIntervalMs', options.fsyncIntervalMs, DEFAULT_FSYNC_INTERVAL_MS);
  const ledgerIntervalMs = resolveInterval('ledgerIntervalMs', options.ledgerIntervalMs, DEFAULT_LEDGER_INTERVAL_MS);
  const io = options.io ?? nodeSpoolIo;
  const dir = options.dir;
  io.mkdirp(dir);
  const releaseLock = acquireLock(dir);
  let dirFd: number | undefined;
  try {
    io.unlinkSync(join(dir, LEDGER_TEMP_FILE));
    dirFd = io.openDir(dir);
    const recovered = await recoverSpool(io, dir, capacity.maxSegmentBytes);
    const counters = new SpoolCounters(options.onDrop, options.onError);
    if (recovered.ledgerReset) counters.ledgerResets += 1;
    if (recovered.tornBytes > 0) counters.drop({ reason: 'torn-tail', bytes: recovered.tornBytes, segment: recovered.tornSegment ?? '' });
    const spool = new DiskSpool({
      io,
      dir,
      dirFd,
      capacity,
      fsync: { policy: fsync, intervalMs: fsyncIntervalMs },
      ledgerIntervalMs,
      table: recovered.table,
      ackedThrough: recovered.ackedThrough,
      ledgerMark: recovered.ledgerMark,
      nextSeq: recovered.nextSeq,
      counters,
      releaseLock,
      tailCacheBytes: options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES,
    });
    return spool;
  } catch (error) {
    if (dirFd !== undefined) io.close(dirFd);
    releaseLock();
    throw error;
  }
}

interface DiskSpoolParts {
  readonly io: SpoolIo;
  readonly dir: string;
  readonly dirFd: number;
  readonly capacity: CapacityOptions;
  readonly fsync: { readonly policy: 'always' | 'interval' | 'never'; readonly intervalMs: number };
  readonly ledgerIntervalMs: number;
  readonly table: SegmentTable;
  readonly ackedThrough: number;
  readonly ledgerMark: number | undefined;
  readonly nextSeq: number;
  readonly counters: SpoolCounters;
  readonly releaseLock: () => void;
  readonly tailCacheBytes: number;
}

class DiskSpool implements Spool {
  private readonly table: SegmentTable;
  private readonly tracker: AckTracker;
  private readonly writer: SegmentWriter;
  private readonly reader: SegmentReader;
  private readonly admission: Admission;
  private readonly waiters = new EntryWaiters();
  /** The newest accepted entries in memory, for a reader that keeps up (SPEC.md §9.2). */
  private readonly tail: TailCache;
  /** Large appends' frames, reused once the tail cache drops them. */
  private readonly frameBuffers: FrameBuffers;
  private readonly counters: SpoolCounters;
  /** The mark the durable ledger holds (undefined: no valid ledger on disk yet). */
  private ledgerMark: number | undefined;
  private ledgerWanted = false;
  private ledgerRun: Promise<void> | undefined;
  private ledgerTimer: NodeJS.Timeout | undefined;
  private readonly fsyncTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: DiskSpoolParts) {
    this.table = parts.table;
    this.counters = parts.counters;
    // As many free as the cache can hold in use: then frames are never freed and allocated again.
    this.frameBuffers = new FrameBuffers(Math.ceil(parts.tailCacheBytes / FRAME_BUFFER_BYTES) + 1);
    this.tail = new TailCache(parts.tailCacheBytes, (frames) => this.frameBuffers.give(frames));
    this.ledgerMark = parts.ledgerMark;
    this.tracker = new AckTracker(parts.ackedThrough);
    this.admission = new Admission(parts.capacity, {
      storedBytes: () => this.table.totalBytes,
      reclaim: () => this.reclaim(),
      dropOldest: () => this.dropOldest(),
      describe: () => `The spool in ${parts.dir}`,
    });
    this.writer = new SegmentWriter(
      parts.io,
      parts.dir,
      parts.dirFd,
      parts.table,
      parts.fsync.policy,
      parts.capacity.maxSegmentBytes,
      parts.nextSeq,
      this.counters,
      {
        accepted: (end) => this.waiters.accepted(end),
        published: (firstSeq, count, frames) => this.tail.add(firstSeq, count, frames),
        settled: (bytes) => this.admission.settle(bytes),
        failed: (error) => {
          this.admission.close(error);
          this.counters.error(error);
        },
      },
    );
    this.reader = new SegmentReader(parts.io, parts.table, {
      ackedThrough: () => this.tracker.ackedThrough,
      acceptedEnd: () => this.writer.acceptedEnd,
      lost: (firstSeq, lastSeq, entries) => this.counters.drop({ reason: 'corrupt', entries, firstSeq, lastSeq }),
    });
    if (parts.fsync.policy === 'interval') {
      // One coarse timer per spool, never one per record.
      this.fsyncTimer = setInterval(() => this.writer.syncInBackground(), parts.fsync.intervalMs);
      this.fsyncTimer.unref();
    }
  }

  append(payload: Uint8Array): Promise<number>;
  append(payloads: readonly Uint8Array[]): Promise<number[]>;
  append(input: Uint8Array | readonly Uint8Array[]): Promise<number | number[]> {
    if (this.closing) return Promise.reject(new SpoolClosedError('append'));
    const single = input instanceof Uint8Array;
    const payloads = single ? [input] : input;
    let bytes: number;
    let admitted: boolean;
    try {
      bytes = framedBytes(payloads, this.parts.capacity.maxSegmentBytes);
      if (payloads.length === 0) return Promise.resolve([]);
      if (this.writer.failed) return Promise.reject(this.writer.failed);
      admitted = this.admission.tryAdmit(bytes);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // Copy now: the caller may reuse its buffers as soon as append returns.
    const frames = prepareFrames(payloads, bytes, (n) => this.frameBuffers.take(n));
    const write = (): Promise<number | number[]> =>
      new Promise((resolve, reject) => this.writer.append({ frames, count: payloads.length, bytes, single, resolve, reject }));
    return admitted ? write() : this.admission.wait(bytes).then(write);
  }

  appendFrames(frames: Buffer, count: number): Promise<number> {
    if (this.closing) return Promise.reject(new SpoolClosedError('append'));
    let bytes: number;
    let admitted: boolean;
    try {
      bytes = framesBytes(frames, count, this.parts.capacity.maxSegmentBytes);
      if (count === 0) return Promise.resolve(this.writer.nextSeq);
      if (this.writer.failed) return Promise.reject(this.writer.failed);
      admitted = this.admission.tryAdmit(bytes);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const write = (): Promise<number> =>
      new Promise((resolve, reject) =>
        this.writer.append({ frames, count, bytes, single: true, resolve: resolve as (seqs: number | number[]) => void, reject }),
      );
    return admitted ? write() : this.admission.wait(bytes).then(write);
  }

  frameBuffer(bytes: number): Buffer {
    return this.frameBuffers.take(bytes);
  }

  read(fromSeq: number, limits: ReadLimits = {}): Promise<ReadResult> {
    if (this.closing) return Promise.reject(new SpoolClosedError('read'));
    return this.reader.read(fromSeq, limits.maxEntries ?? DEFAULT_READ_MAX_ENTRIES, limits.maxBytes ?? DEFAULT_READ_MAX_BYTES);
  }

  scan(fromSeq: number, limits: ReadLimits, visit: EntryVisitor): Promise<number> {
    if (this.closing) return Promise.reject(new SpoolClosedError('scan'));
    const maxEntries = limits.maxEntries ?? DEFAULT_READ_MAX_ENTRIES;
    const maxBytes = limits.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const next = this.tail.scan(Math.max(fromSeq, this.tracker.ackedThrough + 1), maxEntries, maxBytes, visit);
    if (next !== undefined) return Promise.resolve(next);
    return this.reader.scan(fromSeq, maxEntries, maxBytes, visit);
  }

  waitForEntries(fromSeq: number, signal?: AbortSignal): Promise<boolean> {
    return this.waiters.wait(fromSeq, this.writer.acceptedEnd, signal);
  }

  ack(seq: number, throughSeq: number = seq): void {
    if (this.closing) throw new SpoolClosedError('ack');
    checkAckRange(seq, throughSeq, this.writer.acceptedEnd);
    if (!this.tracker.ack(seq, throughSeq)) return;
    // Someone waits for space: reclaim now rather than at the next ledger tick.
    if (this.admission.waiting > 0) this.admission.spaceFreed();
    else this.scheduleLedger();
  }

  async sync(): Promise<void> {
    if (this.closing) throw new SpoolClosedError('sync');
    await this.writer.sync();
    await this.persistAcks();
  }

  stats(): SpoolStats {
    const acceptedLast = this.writer.acceptedEnd - 1;
    return {
      entries: Math.max(0, acceptedLast - this.tracker.ackedThrough - this.tracker.acknowledgedAboveMark),
      bytes: this.table.totalBytes,
      segments: this.table.count,
      nextSeq: this.writer.nextSeq,
      ackedThrough: this.tracker.ackedThrough,
      dropped: { 'spool-full': this.counters.droppedFull, corrupt: this.counters.droppedCorrupt },
      corruptEntriesSkipped: this.counters.droppedCorrupt,
      tornBytesTruncated: this.counters.tornBytesTruncated,
      ledgerResets: this.counters.ledgerResets,
      fdatasyncs: this.counters.fdatasyncs,
      blockedAppends: this.admission.waiting,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.admission.close(new SpoolClosedError('append'));
    this.waiters.close();
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    if (this.ledgerTimer) clearTimeout(this.ledgerTimer);
    this.ledgerTimer = undefined;
    try {
      await this.writer.close();
      if (!this.writer.failed) await this.persistAcks();
    } finally {
      await this.reader.close();
      this.parts.io.close(this.parts.dirFd);
      this.parts.releaseLock();
    }
  }

  private scheduleLedger(): void {
    if (this.ledgerTimer || this.closing) return;
    this.ledgerTimer = setTimeout(() => {
      this.ledgerTimer = undefined;
      this.persistAcks().catch((error: Error) => this.counters.error(error));
    }, this.parts.ledgerIntervalMs);
    this.ledgerTimer.unref();
  }

  /** Makes the current mark durable, then deletes the segments it covers. Calls coalesce into one run. */
  private persistAcks(): Promise<void> {
    this.ledgerWanted = true;
    this.ledgerRun ??= this.runLedger().finally(() => {
      this.ledgerRun = undefined;
    });
    return this.ledgerRun;
  }

  private async runLedger(): Promise<void> {
    while (this.ledgerWanted) {
      this.ledgerWanted = false;
      const mark = this.tracker.ackedThrough;
      if (mark !== this.ledgerMark) {
        await writeLedger(this.parts.io, this.parts.dir, this.parts.dirFd, mark);
        this.ledgerMark = mark;
      }
      await this.deleteCovered(mark);
    }
  }

  /** Deletes sealed segments wholly at or below the durable mark (SPEC.md §4: ledger first, then files). */
  private async deleteCovered(mark: number): Promise<void> {
    for (;;) {
      const first = this.table.list[0];
      if (first === undefined || !first.sealed || first.lastSeq > mark) return;
      this.table.remove(first);
      await this.parts.io.unlink(first.path);
      this.admission.spaceFreed();
    }
  }

  private async reclaim(): Promise<boolean> {
    const before = this.table.totalBytes;
    const active = this.table.last;
    if (active !== undefined && !active.sealed && active.bytes > 0 && this.tracker.ackedThrough >= active.lastSeq) {
      // Everything is acknowledged, the active segment included: seal it so that it can go too.
      await this.writer.whenIdle();
      if (this.table.last === active && this.tracker.ackedThrough >= active.lastSeq) this.writer.seal();
    }
    try {
      await this.persistAcks();
    } catch (error) {
      this.counters.error(error as Error);
      return false;
    }
    return this.table.totalBytes < before;
  }

  private async dropOldest(): Promise<boolean> {
    // Let in-flight writes land first, so no append is accepted into a segment being dropped.
    await this.writer.whenIdle();
    const oldest = this.table.list[0];
    if (oldest === undefined || oldest.bytes === 0) return false;
    if (!oldest.sealed) this.writer.seal();
    const firstSeq = Math.max(oldest.firstSeq, this.tracker.ackedThrough + 1);
    const lastSeq = oldest.lastSeq;
    const entries = this.tracker.dropThrough(lastSeq);
    if (entries > 0) this.counters.drop({ reason: 'spool-full', entries, firstSeq, lastSeq });
    const before = this.table.totalBytes;
    try {
      await this.persistAcks();
    } catch (error) {
      this.counters.error(error as Error);
      return false;
    }
    return this.table.totalBytes < before;
  }
}
