/** The in-memory table of segment files (SPEC.md §2), shared by the writer, the reader and deletion. */
import { join } from 'node:path';

export const SEGMENT_SUFFIX = '.seg';
const NAME_DIGITS = 20;
const NAME_PATTERN = /^(\d{20})\.seg$/;

export interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  readonly name: string;
  /** Bytes written to the file. */
  bytes: number;
  /** Seq of the last entry written, `firstSeq - 1` while empty. */
  lastSeq: number;
  /** Bytes holding accepted entries (what readers may read). */
  visibleBytes: number;
  /** Seq of the last accepted entry in this segment. */
  visibleLastSeq: number;
  /** No more appends go here. */
  sealed: boolean;
  /** Removed from the table (the file is being or has been unlinked). */
  deleted: boolean;
}

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(NAME_DIGITS, '0')}${SEGMENT_SUFFIX}`;
}

/** The first seq a segment file name stands for, or undefined if it is not a segment name. */
export function parseSegmentName(name: string): number | undefined {
  const match = NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

export function newSegment(dir: string, firstSeq: number): Segment {
  const name = segmentName(firstSeq);
  return {
    firstSeq,
    name,
    path: join(dir, name),
    bytes: 0,
    lastSeq: firstSeq - 1,
    visibleBytes: 0,
    visibleLastSeq: firstSeq - 1,
    sealed: false,
    deleted: false,
  };
}

export class SegmentTable {
  /** Sorted by firstSeq; the last one is the active segment unless it is sealed. */
  readonly list: Segment[] = [];
  private total = 0;

  get totalBytes(): number {
    return this.total;
  }

  get count(): number {
    return this.list.length;
  }

  get last(): Segment | undefined {
    return this.list[this.list.length - 1];
  }

  push(segment: Segment): void {
    this.list.push(segment);
    this.total += segment.bytes;
  }

  resize(segment: Segment, bytes: number): void {
    this.total += bytes - segment.bytes;
    segment.bytes = bytes;
  }

  /** Takes a segment out of the table (before its file is unlinked, so no reader starts on it). */
  remove(segment: Segment): void {
    const index = this.list.indexOf(segment);
    if (index < 0) return;
    this.list.splice(index, 1);
    this.total -= segment.bytes;
    segment.deleted = true;
  }

  /** Index of the segment that holds `seq` (binary search by name); 0 if seq is before them all; -1 if empty. */
  indexFor(seq: number): number {
    if (this.list.length === 0) return -1;
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.list[mid]!.firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
