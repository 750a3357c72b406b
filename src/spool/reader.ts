/**
 * The read side of the disk spool (SPEC.md §9.2, §8.4): returns accepted entries in seq order, skipping
 * damaged ones and counting each lost seq once. It remembers where the previous read ended, so a
 * sender reading forward never rescans; any other start is located by binary search over segment
 * names and a scan of at most one segment. Reads are serialised (one read fd, never closed under a
 * read in flight).
 */
import { ENTRY_HEADER_BYTES, findNextHeader, MutableEntryHeader, payloadIntact, readHeaderInto } from './entry-codec.js';
import { SpoolIoError } from './errors.js';
import type { SpoolIo } from './io.js';
import type { Segment, SegmentTable } from './segments.js';
import { AckTracker } from './ack-tracker.js';
import type { EntryVisitor, ReadResult, SpoolEntry } from './types.js';

/** Smallest read window: small reads cost a syscall each, so read ahead at least this much. */
const MIN_WINDOW_BYTES = 64 * 1024;
/**
 * Windows up to this size are read into one buffer the reader keeps and reuses (a draining sender
 * loads hundreds of megabytes through it; a fresh buffer per window was garbage that the allocator
 * rarely gave back to the system). Larger loads (resynchronising over a damaged segment) get a fresh one.
 */
const REUSED_WINDOW_MAX_BYTES = 1024 * 1024;

export interface ReaderContext {
  /** The low-water mark: nothing at or below it is returned or counted as lost. */
  ackedThrough(): number;
  /** One past the last accepted seq. */
  acceptedEnd(): number;
  /** Called once per newly found run of lost seqs. */
  lost(firstSeq: number, lastSeq: number, entries: number): void;
}

interface Position {
  /** Held by identity, not index: acks may delete earlier segments while a read awaits I/O. */
  segment: Segment;
  offset: number;
  /** The seq the entry at `offset` should have. */
  expect: number;
}

export class SegmentReader {
  private hint: { segment: Segment; offset: number; seq: number } | undefined;
  private fd: number | undefined;
  private fdSegment: Segment | undefined;
  /**
   * The last buffer loaded, kept across reads: a sender paging forward with small pages consumes one
   * window over many reads instead of re-reading it each time. Segment bytes below the visible limit
   * never change, so a cached window never goes stale.
   */
  private cached: { segment: Segment; start: number; data: Buffer } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** The reused window buffer (see REUSED_WINDOW_MAX_BYTES). */
  private windowBuffer: Buffer | undefined;
  /** Seqs already counted as lost, as ranges (reuses the ack range logic; corruption is rare, so few ranges). */
  private readonly counted = new AckTracker(0);
  /** The header being read, filled in place: no object per entry. */
  private readonly header = new MutableEntryHeader();

  constructor(
    private readonly io: SpoolIo,
    private readonly table: SegmentTable,
    private readonly context: ReaderContext,
  ) {}

  read(fromSeq: number, maxEntries: number, maxBytes: number): Promise<ReadResult> {
    const entries: SpoolEntry[] = [];
    // Copies: the window a scan reads into is reused by the next load.
    return this.scan(fromSeq, maxEntries, maxBytes, (seq, buf, start, end) => entries.push({ seq, payload: Buffer.from(buf.subarray(start, end)) })).then(
      (next) => ({ entries, next }),
    );
  }

  /** Hands each entry to `visit` (SPEC.md §9.2); resolves with the seq to scan from next. */
  scan(fromSeq: number, maxEntries: number, maxBytes: number, visit: EntryVisitor): Promise<number> {
    const result = this.chain.then(() => this.scanNow(fromSeq, maxEntries, maxBytes, visit));
    this.chain = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.chain;
    this.closeFd();
  }

  private async scanNow(fromSeq: number, maxEntries: number, maxBytes: number, visit: EntryVisitor): Promise<number> {
    const start = Math.max(fromSeq, this.context.ackedThrough() + 1);
    const acceptedEnd = this.context.acceptedEnd();
    if (start >= acceptedEnd) return start;
    const pos = this.locate(start);
    if (pos === undefined) return acceptedEnd;
    let bytes = 0;
    let count = 0;

    segments: for (;;) {
      const segment = pos.segment;
      const limit = segment.visibleBytes;
      const lastPossible = segment.visibleLastSeq;
      while (pos.offset < limit) {
        if (segment.deleted) break segments;
        // Entries in the window already loaded are read without awaiting: an await per entry cost
        // more than the rest of reading it (a promise and a continuation per record).
        let window =
          this.cachedView(segment, pos.offset, ENTRY_HEADER_BYTES) ??
          (await this.view(segment, pos.offset, ENTRY_HEADER_BYTES, this.windowSize(limit - pos.offset, maxBytes - bytes, maxEntries - count)));
        let at = pos.offset - this.cached!.start;
        const header = this.header;
        if (
          !readHeaderInto(window, at, header) ||
          header.seq < pos.expect ||
          header.seq > lastPossible ||
          pos.offset + ENTRY_HEADER_BYTES + header.length > limit
        ) {
          // The length cannot be trusted: resynchronise on the next valid header (SPEC.md §3.1).
          // Rare, so load the rest of the segment (at most maxSegmentBytes) and search it.
          const rest = await this.view(segment, pos.offset, limit - pos.offset, limit - pos.offset);
          const found = findNextHeader(rest, pos.offset - this.cached!.start + 1, pos.expect, lastPossible);
          if (found >= 0) {
            pos.offset = this.cached!.start + found;
            continue;
          }
          pos.offset = limit;
          continue;
        }
        if (header.seq >= start && count > 0 && (count >= maxEntries || bytes + header.length > maxBytes)) {
          break segments;
        }
        if (at + ENTRY_HEADER_BYTES + header.length > window.length) {
          const need = ENTRY_HEADER_BYTES + header.length;
          window = await this.view(segment, pos.offset, need, Math.max(need, this.windowSize(limit - pos.offset, maxBytes - bytes, maxEntries - count)));
          at = pos.offset - this.cached!.start;
          // The awaits let other code run, but this reader is the header's only user and reads are serialised.
        }
        if (header.seq > pos.expect) this.lose(pos.expect, header.seq - 1);
        if (!payloadIntact(window, at, header)) {
          this.lose(header.seq, header.seq);
        } else if (header.seq >= start) {
          const payloadStart = at + ENTRY_HEADER_BYTES;
          visit(header.seq, window, payloadStart, payloadStart + header.length);
          count += 1;
          bytes += header.length;
        }
        pos.expect = header.seq + 1;
        pos.offset += ENTRY_HEADER_BYTES + header.length;
      }
      // The readable part of this segment (as it was when we started on it: more may have been accepted
      // during our awaits, and that is for the next read) is done: accepted seqs it did not yield are lost.
      if (segment.deleted) break;
      if (pos.expect <= lastPossible) this.lose(pos.expect, lastPossible);
      pos.expect = Math.max(pos.expect, lastPossible + 1);
      const following = this.table.list[this.table.list.indexOf(segment) + 1];
      // Only move on once this segment is sealed and we read all of it; otherwise its tail is still coming.
      if (following === undefined || !segment.sealed || limit < segment.bytes) break;
      if (pos.expect < following.firstSeq) this.lose(pos.expect, following.firstSeq - 1);
      pos.expect = Math.max(pos.expect, following.firstSeq);
      pos.segment = following;
      pos.offset = 0;
    }

    const next = Math.max(start, pos.expect, this.context.ackedThrough() + 1);
    this.hint = pos.segment.deleted ? undefined : { segment: pos.segment, offset: pos.offset, seq: pos.expect };
    return next;
  }

  private locate(start: number): Position | undefined {
    const hint = this.hint;
    if (hint !== undefined && hint.seq === start && !hint.segment.deleted) {
      return { segment: hint.segment, offset: hint.offset, expect: hint.seq };
    }
    const segment = this.table.list[this.table.indexFor(start)];
    if (segment === undefined) return undefined;
    return { segment, offset: 0, expect: segment.firstSeq };
  }

  private windowSize(remaining: number, bytesBudget: number, entriesBudget: number): number {
    return Math.min(remaining, Math.max(MIN_WINDOW_BYTES, Math.max(0, bytesBudget) + ENTRY_HEADER_BYTES * Math.max(1, entriesBudget)));
  }

  private lose(firstSeq: number, lastSeq: number): void {
    const from = Math.max(firstSeq, this.context.ackedThrough() + 1);
    if (lastSeq < from) return;
    const entries = this.counted.countUnacknowledged(from, lastSeq);
    this.counted.ack(from, lastSeq);
    if (entries > 0) this.context.lost(from, lastSeq, entries);
  }

  /** The cached window if it holds `need` bytes at `offset` of `segment`. */
  private cachedView(segment: Segment, offset: number, need: number): Buffer | undefined {
    const cached = this.cached;
    if (cached !== undefined && cached.segment === segment && offset >= cached.start && offset + need <= cached.start + cached.data.length) {
      return cached.data;
    }
    return undefined;
  }

  /**
   * The cached window if it holds `need` bytes at `offset` of `segment`; otherwise a fresh window of
   * `want` bytes loaded there (becoming the cache). Offsets into the result are relative to `cached.start`.
   */
  private async view(segment: Segment, offset: number, need: number, want: number): Promise<Buffer> {
    const cached = this.cachedView(segment, offset, need);
    if (cached !== undefined) return cached;
    const data = await this.load(segment, offset, Math.max(need, want));
    this.cached = { segment, start: offset, data };
    return data;
  }

  /** Up to `length` bytes at `offset`, in the reused window buffer (or a fresh one for a large load). */
  private async load(segment: Segment, offset: number, length: number): Promise<Buffer> {
    if (this.fdSegment !== segment) {
      this.closeFd();
      try {
        this.fd = this.io.open(segment.path, 'r');
      } catch (error) {
        throw new SpoolIoError(`Cannot open spool segment ${segment.path} for reading: ${(error as Error).message}`, error);
      }
      this.fdSegment = segment;
    }
    let buf: Buffer;
    if (length <= REUSED_WINDOW_MAX_BYTES) {
      if (this.windowBuffer === undefined || this.windowBuffer.length < length) this.windowBuffer = Buffer.allocUnsafeSlow(Math.max(length, 4 * MIN_WINDOW_BYTES));
      buf = this.windowBuffer;
      // The cached window is about to be overwritten.
      this.cached = undefined;
    } else {
      buf = Buffer.allocUnsafe(length);
    }
    let got = 0;
    try {
      while (got < length) {
        const n = await this.io.read(this.fd!, buf.subarray(got), length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (error) {
      throw new SpoolIoError(`Reading spool segment ${segment.path} failed: ${(error as Error).message}`, error);
    }
    return buf.subarray(0, got);
  }

  private closeFd(): void {
    this.cached = undefined;
    if (this.fd !== undefined) {
      try {
        this.io.close(this.fd);
      } catch {
        // Read-only fd: nothing to lose.
      }
    }
    this.fd = undefined;
    this.fdSegment = undefined;
  }
}
