/**
 * Tracks acknowledgements (SPEC.md §5): a low-water mark that advances over a contiguous prefix only,
 * plus the seqs acknowledged out of order above it, kept as sorted disjoint ranges. In-order acks never
 * touch the ranges; a retried batch acknowledged late costs one range until the gap below it closes.
 */
export class AckTracker {
  private mark: number;
  /** Parallel arrays of inclusive ranges, sorted, disjoint, non-adjacent, all above mark + 1. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private ackedAbove = 0;

  constructor(ackedThrough: number) {
    this.mark = ackedThrough;
  }

  /** Every seq at or below this is acknowledged (or dropped). */
  get ackedThrough(): number {
    return this.mark;
  }

  /** How many seqs above the mark are acknowledged. */
  get acknowledgedAboveMark(): number {
    return this.ackedAbove;
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  /** Marks [first, last] acknowledged; returns true if the low-water mark moved. */
  ack(first: number, last: number = first): boolean {
    if (last <= this.mark) return false;
    const from = Math.max(first, this.mark + 1);
    if (from === this.mark + 1) {
      this.removeThrough(last);
      this.mark = last;
      this.absorbFollowingRange();
      return true;
    }
    this.insert(from, last);
    return false;
  }

  /** Raises the mark to `seq` whatever was acknowledged (drop-oldest); returns how many unacknowledged seqs that covered. */
  dropThrough(seq: number): number {
    if (seq <= this.mark) return 0;
    const covered = seq - this.mark - this.removeThrough(seq);
    this.mark = seq;
    this.absorbFollowingRange();
    return covered;
  }

  /** Unacknowledged seqs in [first, last]. */
  countUnacknowledged(first: number, last: number): number {
    const from = Math.max(first, this.mark + 1);
    if (last < from) return 0;
    let acked = 0;
    for (let i = 0; i < this.starts.length; i += 1) {
      const s = Math.max(this.starts[i]!, from);
      const e = Math.min(this.ends[i]!, last);
      if (e >= s) acked += e - s + 1;
    }
    return last - from + 1 - acked;
  }

  /** Drops ranges (or parts) at or below `seq`; returns how many acknowledged seqs they held. */
  private removeThrough(seq: number): number {
    let removed = 0;
    let count = 0;
    while (count < this.starts.length && this.starts[count]! <= seq) {
      const end = Math.min(this.ends[count]!, seq);
      removed += end - this.starts[count]! + 1;
      if (this.ends[count]! > seq) {
        // Keep the part of this range above seq.
        this.starts[count] = seq + 1;
        break;
      }
      count += 1;
    }
    this.starts.splice(0, count);
    this.ends.splice(0, count);
    this.ackedAbove -= removed;
    return removed;
  }

  private absorbFollowingRange(): void {
    if (this.starts.length > 0 && this.starts[0] === this.mark + 1) {
      this.mark = this.ends[0]!;
      this.ackedAbove -= this.ends[0]! - this.starts[0]! + 1;
      this.starts.shift();
      this.ends.shift();
    }
  }

  private insert(first: number, last: number): void {
    // Binary search for the first range that ends at or after first - 1 (could merge with us).
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < first - 1) lo = mid + 1;
      else hi = mid;
    }
    let start = first;
    let end = last;
    let j = lo;
    let absorbed = 0;
    while (j < this.starts.length && this.starts[j]! <= last + 1) {
      start = Math.min(start, this.starts[j]!);
      end = Math.max(end, this.ends[j]!);
      absorbed += this.ends[j]! - this.starts[j]! + 1;
      j += 1;
    }
    this.starts.splice(lo, j - lo, start);
    this.ends.splice(lo, j - lo, end);
    this.ackedAbove += end - start + 1 - absorbed;
  }
}
