/**
 * The memory spool (SPEC.md §9.3): the disk spool's model without I/O, for tests and short-lived
 * scripts. Same seqs, framed sizes, rotation, reclaim and onFull rules and stats, so the same
 * contract suite holds for both. Everything is lost when the process ends.
 */
import { AckTracker } from './ack-tracker.js';
import { Admission } from './admission.js';
import { SpoolCounters } from './counters.js';
import { framedSize } from './entry-codec.js';
import { SpoolClosedError } from './errors.js';
import { DEFAULT_READ_MAX_BYTES, DEFAULT_READ_MAX_ENTRIES, resolveCapacity, type CapacityOptions } from './options.js';
import { checkAckRange, framedBytes, framesBytes } from './payloads.js';
import { ENTRY_HEADER_BYTES } from './entry-codec.js';
import type { CommonSpoolOptions, EntryVisitor, ReadLimits, ReadResult, Spool, SpoolEntry, SpoolStats } from './types.js';
import { EntryWaiters } from './waiters.js';

interface MemorySegment {
  readonly firstSeq: number;
  readonly payloads: Buffer[];
  bytes: number;
  sealed: boolean;
}

function lastSeqOf(segment: MemorySegment): number {
  return segment.firstSeq + segment.payloads.length - 1;
}

export function openMemorySpool(options: CommonSpoolOptions = {}): Promise<Spool> {
  try {
    return Promise.resolve(new MemorySpool(resolveCapacity(options), new SpoolCounters(options.onDrop, options.onError)));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

class MemorySpool implements Spool {
  private readonly segments: MemorySegment[] = [];
  private totalBytes = 0;
  private nextSeq = 1;
  private readonly tracker = new AckTracker(0);
  private readonly waiters = new EntryWaiters();
  private readonly admission: Admission;
  private closed = false;

  constructor(
    private readonly capacity: CapacityOptions,
    private readonly counters: SpoolCounters,
  ) {
    this.admission = new Admission(capacity, {
      storedBytes: () => this.totalBytes,
      reclaim: () => Promise.resolve(this.reclaim()),
      dropOldest: () => Promise.resolve(this.dropOldest()),
      describe: () => 'The memory spool',
    });
  }

  append(payload: Uint8Array): Promise<number>;
  append(payloads: readonly Uint8Array[]): Promise<number[]>;
  append(input: Uint8Array | readonly Uint8Array[]): Promise<number | number[]> {
    if (this.closed) return Promise.reject(new SpoolClosedError('append'));
    const single = input instanceof Uint8Array;
    const payloads = single ? [input] : input;
    let bytes: number;
    let admitted: boolean;
    try {
      bytes = framedBytes(payloads, this.capacity.maxSegmentBytes);
      if (payloads.length === 0) return Promise.resolve([]);
      admitted = this.admission.tryAdmit(bytes);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const copies = payloads.map((p) => Buffer.from(p));
    const write = (): number | number[] => {
      const first = this.store(copies);
      this.admission.settle(bytes);
      this.waiters.accepted(this.nextSeq);
      return single ? first : copies.map((_, i) => first + i);
    };
    return admitted ? Promise.resolve(write()) : this.admission.wait(bytes).then(write);
  }

  appendFrames(frames: Buffer, count: number): Promise<number> {
    if (this.closed) return Promise.reject(new SpoolClosedError('append'));
    let payloads: Buffer[];
    try {
      framesBytes(frames, count, this.capacity.maxSegmentBytes);
      // The memory spool stores payloads, not frames (same seqs and framed sizes).
      payloads = new Array<Buffer>(count);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const length = frames.readUInt32LE(at + 4);
        payloads[i] = frames.subarray(at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + length);
        at += ENTRY_HEADER_BYTES + length;
      }
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (count === 0) return Promise.resolve(this.nextSeq);
    return this.append(payloads).then((seqs) => seqs[0]!);
  }

  frameBuffer(bytes: number): Buffer {
    return Buffer.allocUnsafe(bytes);
  }

  read(fromSeq: number, limits: ReadLimits = {}): Promise<ReadResult> {
    const entries: SpoolEntry[] = [];
    return this.scan(fromSeq, limits, (seq, payload) => entries.push({ seq, payload })).then((next) => ({ entries, next }));
  }

  scan(fromSeq: number, limits: ReadLimits, visit: EntryVisitor): Promise<number> {
    if (this.closed) return Promise.reject(new SpoolClosedError('scan'));
    const maxEntries = limits.maxEntries ?? DEFAULT_READ_MAX_ENTRIES;
    const maxBytes = limits.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    let seq = Math.max(fromSeq, this.tracker.ackedThrough + 1);
    let count = 0;
    let bytes = 0;
    let index = this.segmentIndexFor(seq);
    while (index >= 0 && index < this.segments.length) {
      const segment = this.segments[index]!;
      seq = Math.max(seq, segment.firstSeq);
      for (; seq <= lastSeqOf(segment); seq += 1) {
        const payload = segment.payloads[seq - segment.firstSeq]!;
        if (count > 0 && (count >= maxEntries || bytes + payload.length > maxBytes)) return Promise.resolve(seq);
        // Each payload is a buffer of its own, so the whole buffer is the entry.
        visit(seq, payload, 0, payload.length);
        count += 1;
        bytes += payload.length;
      }
      index += 1;
    }
    return Promise.resolve(seq);
  }

  waitForEntries(fromSeq: number, signal?: AbortSignal): Promise<boolean> {
    return this.waiters.wait(fromSeq, this.nextSeq, signal);
  }

  ack(seq: number, throughSeq: number = seq): void {
    if (this.closed) throw new SpoolClosedError('ack');
    checkAckRange(seq, throughSeq, this.nextSeq);
    if (!this.tracker.ack(seq, throughSeq)) return;
    this.deleteCovered();
    if (this.admission.waiting > 0) this.admission.spaceFreed();
  }

  sync(): Promise<void> {
    return this.closed ? Promise.reject(new SpoolClosedError('sync')) : Promise.resolve();
  }

  stats(): SpoolStats {
    return {
      entries: Math.max(0, this.nextSeq - 1 - this.tracker.ackedThrough - this.tracker.acknowledgedAboveMark),
      bytes: this.totalBytes,
      segments: this.segments.length,
      nextSeq: this.nextSeq,
      ackedThrough: this.tracker.ackedThrough,
      dropped: { 'spool-full': this.counters.droppedFull, corrupt: 0 },
      corruptEntriesSkipped: 0,
      tornBytesTruncated: 0,
      ledgerResets: 0,
      fdatasyncs: 0,
      blockedAppends: this.admission.waiting,
    };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.admission.close(new SpoolClosedError('append'));
      this.waiters.close();
    }
    return Promise.resolve();
  }

  /** Appends with the disk spool's rotation rule; returns the first seq. */
  private store(payloads: readonly Buffer[]): number {
    const first = this.nextSeq;
    for (const payload of payloads) {
      const size = framedSize(payload.length);
      let active = this.segments[this.segments.length - 1];
      if (active === undefined || active.sealed || (active.bytes + size > this.capacity.maxSegmentBytes && active.bytes > 0)) {
        if (active) active.sealed = true;
        active = { firstSeq: this.nextSeq, payloads: [], bytes: 0, sealed: false };
        this.segments.push(active);
      }
      active.payloads.push(payload);
      active.bytes += size;
      this.totalBytes += size;
      this.nextSeq += 1;
    }
    return first;
  }

  private segmentIndexFor(seq: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private deleteCovered(): boolean {
    let freed = false;
    for (;;) {
      const first = this.segments[0];
      if (first === undefined || !first.sealed || lastSeqOf(first) > this.tracker.ackedThrough) return freed;
      this.segments.shift();
      this.totalBytes -= first.bytes;
      freed = true;
    }
  }

  private reclaim(): boolean {
    const active = this.segments[this.segments.length - 1];
    if (active !== undefined && !active.sealed && active.bytes > 0 && this.tracker.ackedThrough >= lastSeqOf(active)) active.sealed = true;
    return this.deleteCovered();
  }

  private dropOldest(): boolean {
    const oldest = this.segments[0];
    if (oldest === undefined || oldest.bytes === 0) return false;
    oldest.sealed = true;
    const firstSeq = Math.max(oldest.firstSeq, this.tracker.ackedThrough + 1);
    const lastSeq = lastSeqOf(oldest);
    const entries = this.tracker.dropThrough(lastSeq);
    if (entries > 0) this.counters.drop({ reason: 'spool-full', entries, firstSeq, lastSeq });
    return this.deleteCovered();
  }
}
