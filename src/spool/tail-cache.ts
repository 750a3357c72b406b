/**
 * The newest accepted entries, kept in memory as the framed buffers they were written from, so that
 * a reader that keeps up (a sender right behind the producer) scans them from memory instead of
 * reading back from the segment file what was written a moment ago. Only accepted entries are added
 * (the writer hands over each batch as it becomes visible under the fsync policy), so a scan from
 * here returns exactly what a read from disk would. Their checksums are not verified: the bytes never
 * left memory.
 *
 * Bounded by `maxBytes`: the oldest batches are dropped first, and a reader that fell behind them
 * reads from disk as before (SPEC.md §9.2).
 */
import { ENTRY_HEADER_BYTES } from './entry-codec.js';
import type { EntryVisitor } from './types.js';

interface TailBatch {
  readonly firstSeq: number;
  readonly count: number;
  /** `count` framed entries, seqs stamped. */
  readonly frames: Buffer;
}

export class TailCache {
  #batches: TailBatch[] = [];
  #bytes = 0;
  /** Where the last scan ended, so the next one starting there does not walk the batch again. */
  #hint: { batch: TailBatch; offset: number; seq: number } | undefined;

  constructor(
    private readonly maxBytes: number,
    /** A batch's frames are no longer needed (dropped from the cache). */
    private readonly released: (frames: Buffer) => void = () => undefined,
  ) {}

  /** Entries `firstSeq … firstSeq + count - 1` were accepted; `frames` must not change afterwards. */
  add(firstSeq: number, count: number, frames: Buffer): void {
    if (count === 0 || this.maxBytes === 0) return;
    const last = this.#batches[this.#batches.length - 1];
    // Only a contiguous run of seqs is kept: a gap (entries accepted some other way) starts a new run.
    if (last !== undefined && last.firstSeq + last.count !== firstSeq) this.clear();
    this.#batches.push({ firstSeq, count, frames });
    this.#bytes += pinned(frames);
    let drop = 0;
    while (this.#bytes > this.maxBytes && drop < this.#batches.length - 1) {
      const dropped = this.#batches[drop++]!.frames;
      this.#bytes -= pinned(dropped);
      this.released(dropped);
    }
    if (drop > 0) {
      this.#batches = this.#batches.slice(drop);
      if (this.#hint !== undefined && this.#hint.batch.firstSeq < this.#batches[0]!.firstSeq) this.#hint = undefined;
    }
  }

  clear(): void {
    for (const batch of this.#batches) this.released(batch.frames);
    this.#batches = [];
    this.#bytes = 0;
    this.#hint = undefined;
  }

  /**
   * Visits entries from `start` on under the limits (at least one), as the disk reader would, and
   * returns the next seq; undefined if `start` is not in memory (the caller reads from disk).
   */
  scan(start: number, maxEntries: number, maxBytes: number, visit: EntryVisitor): number | undefined {
    const batches = this.#batches;
    if (batches.length === 0 || start < batches[0]!.firstSeq) return undefined;
    const lastBatch = batches[batches.length - 1]!;
    if (start >= lastBatch.firstSeq + lastBatch.count) return undefined;
    let index: number;
    let offset: number;
    let seq: number;
    const hint = this.#hint;
    if (hint !== undefined && hint.seq === start) {
      index = batches.indexOf(hint.batch);
      offset = hint.offset;
      seq = hint.seq;
    } else {
      index = this.#batchIndexFor(start);
      offset = 0;
      seq = batches[index]!.firstSeq;
    }
    let count = 0;
    let bytes = 0;
    for (; index < batches.length; index++, offset = 0) {
      const batch = batches[index]!;
      const frames = batch.frames;
      seq = Math.max(seq, batch.firstSeq);
      const end = batch.firstSeq + batch.count;
      while (seq < end) {
        const length = frames.readUInt32LE(offset + 4);
        if (seq >= start) {
          if (count > 0 && (count >= maxEntries || bytes + length > maxBytes)) {
            this.#hint = { batch, offset, seq };
            return seq;
          }
          const payload = offset + ENTRY_HEADER_BYTES;
          visit(seq, frames, payload, payload + length);
          count += 1;
          bytes += length;
        }
        offset += ENTRY_HEADER_BYTES + length;
        seq += 1;
      }
    }
    this.#hint = undefined;
    return seq;
  }

  /** The batch holding `seq` (which the cache covers). */
  #batchIndexFor(seq: number): number {
    const batches = this.#batches;
    let lo = 0;
    let hi = batches.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (batches[mid]!.firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Memory a batch keeps alive: its whole backing store (a small buffer shares, and pins, a slab of 8 KiB). */
function pinned(frames: Buffer): number {
  return Math.max(frames.length, frames.buffer.byteLength);
}
