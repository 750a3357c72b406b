import { ByteQueue } from './byte-queue.js';
import {
  parseBlockGroup,
  parseBlockHeader,
  parseEbmlHeader,
  parseInfo,
  parseTags,
  parseTracks,
  vintLength,
} from './element-bodies.js';
import { invalidMkv, MkvError } from './errors.js';
import { hexId, Id, SEGMENT_CHILDREN } from './ids.js';
import type { MkvEvent, MkvTruncation } from './reader-events.js';

export interface MkvReaderOptions {
  /**
   * Largest element buffered whole (a frame, Tracks, Tags). A size above it is reported as MKV_INVALID
   * instead of being allocated. Default 64 MiB: KVS fragments are at most 50 MB.
   */
  readonly maxElementBytes?: number;
}

const DEFAULT_MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

/** An open Segment or Cluster: the only elements the reader enters instead of buffering whole. */
interface Container {
  readonly id: number;
  readonly start: number;
  /** Absolute end offset, or undefined for unknown size. */
  readonly end: number | undefined;
  timecode: number | undefined;
  blockCount: number;
}

interface Header {
  readonly id: number;
  readonly headerLength: number;
  /** Payload size; undefined = unknown size. */
  readonly size: number | undefined;
}

/**
 * Incremental Matroska reader for KVS streams: PutMedia bodies, GetMedia responses (MKV documents back
 * to back) and kedge's own writer output. Push bytes as they arrive; each push returns the events the
 * new bytes completed. Segment and Cluster may have unknown size: an unknown-size Cluster ends at the
 * next level-1 element (Cluster, Tags, Info, ...) or EBML header, an unknown-size Segment at the next
 * EBML header or the end of input.
 *
 * Corrupt input throws MkvError `MKV_INVALID` with the byte offset, and every later call throws it
 * again. Sizes are checked against `maxElementBytes` and the enclosing element before anything is
 * buffered; skipped elements are discarded as they stream by, never held.
 */
export class MkvReader {
  private readonly queue = new ByteQueue();
  private readonly stack: Container[] = [];
  private readonly maxElementBytes: number;
  /** Absolute offset of the queue's first byte. */
  private pos = 0;
  private skipRemaining = 0;
  private skipped: { offset: number; id: number; total: number } | undefined;
  private failure: MkvError | undefined;
  private finished = false;
  /** After an EBML header, the document's Segment must follow. */
  private segmentDue = false;

  constructor(options: MkvReaderOptions = {}) {
    this.maxElementBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  }

  /** Bytes consumed so far (fully parsed or skipped). */
  get offset(): number {
    return this.pos;
  }

  /** Adds bytes; returns (appends to `out`) the events they completed. */
  push(chunk: Uint8Array, out: MkvEvent[] = []): MkvEvent[] {
    this.checkUsable();
    this.queue.push(chunk);
    this.guard(() => this.run(out));
    return out;
  }

  /**
   * The input is over. Closes unknown-size Clusters and Segments that end here; if the input stopped
   * inside an element, the last event is `truncated` instead.
   */
  end(out: MkvEvent[] = []): MkvEvent[] {
    this.checkUsable();
    this.guard(() => {
      this.run(out);
      const truncation = this.truncation();
      if (truncation) out.push(truncation);
      else while (this.stack.length > 0) this.close(out);
    });
    this.finished = true;
    return out;
  }

  private checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new MkvError('MKV_INVALID_ARGUMENT', 'the reader has ended; create a new MkvReader for a new stream');
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      if (err instanceof MkvError) this.failure = err;
      throw err;
    }
  }

  private run(out: MkvEvent[]): void {
    for (;;) {
      if (this.skipRemaining > 0) {
        const n = this.queue.discard(this.skipRemaining);
        this.pos += n;
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return;
        this.skipped = undefined;
      }
      this.closeContainersEndingHere(out);
      if (this.queue.length === 0) return;
      const header = this.peekHeader();
      if (!header) return;
      let parent = this.top();
      while (parent && parent.end === undefined && !containsUnknownSizeChild(parent.id, header.id)) {
        this.close(out);
        parent = this.top();
      }
      if (!this.dispatch(header, parent, out)) return;
    }
  }

  /** Handles one element; false when more bytes are needed first. */
  private dispatch(h: Header, parent: Container | undefined, out: MkvEvent[]): boolean {
    const start = this.pos;
    const end = h.size === undefined ? undefined : start + h.headerLength + h.size;
    if (parent?.end !== undefined && end !== undefined && end > parent.end) {
      throw invalidMkv(start, `element ${hexId(h.id)} of ${h.size} bytes runs ${end - parent.end} bytes past the end of its parent ${hexId(parent.id)}`);
    }
    const context = parent?.id;
    if (h.id === Id.Segment || (h.id === Id.Cluster && context === Id.Segment)) {
      if (h.id === Id.Segment && context !== undefined) throw invalidMkv(start, `Segment inside ${hexId(context)}`);
      this.consume(h.headerLength);
      this.stack.push({ id: h.id, start, end, timecode: undefined, blockCount: 0 });
      if (h.id === Id.Segment) {
        this.segmentDue = false;
        out.push({ type: 'segmentStart', offset: start, size: h.size });
      }
      return true;
    }
    if (h.size === undefined) throw invalidMkv(start, `element ${hexId(h.id)} has an unknown size, which only Segment and Cluster may have`);

    if (context === undefined) {
      if (h.id === Id.Ebml) {
        return this.withBody(h, (b) => {
          out.push({ type: 'ebmlHeader', offset: start, ...parseEbmlHeader(b, start + h.headerLength) });
          this.segmentDue = true;
        });
      }
      if (h.id === Id.Void || h.id === Id.Crc32) return this.skip(h);
      throw invalidMkv(start, `element ${hexId(h.id)} at the top level, where an EBML header or a Segment must be`);
    }
    if (context === Id.Segment) {
      const base = start + h.headerLength;
      if (h.id === Id.Info) return this.withBody(h, (b) => out.push({ type: 'info', offset: start, ...parseInfo(b, base) }));
      if (h.id === Id.Tracks) return this.withBody(h, (b) => out.push({ type: 'tracks', offset: start, tracks: parseTracks(b, base) }));
      if (h.id === Id.Tags) return this.withBody(h, (b) => out.push({ type: 'tags', offset: start, tags: parseTags(b, base) }));
      if (h.id === Id.Ebml) throw invalidMkv(start, 'EBML header inside a Segment of known size');
      return this.skip(h); // SeekHead, Cues, Chapters, Void, and elements this reader does not know
    }
    // Inside a Cluster.
    const cluster = parent!;
    if (h.id === Id.Timecode) return this.withBody(h, (b) => this.clusterTimecode(cluster, b, start, out));
    if (h.id === Id.SimpleBlock) return this.withBody(h, (b) => this.block(cluster, b, start, start + h.headerLength, false, out));
    if (h.id === Id.BlockGroup) return this.withBody(h, (b) => this.blockGroup(cluster, b, start, start + h.headerLength, out));
    if (SEGMENT_CHILDREN.has(h.id) || h.id === Id.Ebml) throw invalidMkv(start, `level-1 element ${hexId(h.id)} inside a Cluster of known size`);
    return this.skip(h);
  }

  private clusterTimecode(cluster: Container, body: Uint8Array, offset: number, out: MkvEvent[]): void {
    if (cluster.timecode !== undefined) throw invalidMkv(offset, 'second Timecode in one Cluster');
    if (body.length > 8) throw invalidMkv(offset, `Cluster Timecode of ${body.length} bytes`);
    let timecode = 0;
    for (const b of body) timecode = timecode * 256 + b;
    if (!Number.isSafeInteger(timecode)) throw invalidMkv(offset, 'Cluster Timecode beyond 2^53');
    cluster.timecode = timecode;
    out.push({ type: 'clusterStart', offset: cluster.start, timecode });
  }

  private block(cluster: Container, body: Uint8Array, offset: number, base: number, group: boolean, out: MkvEvent[], referencesOthers = false): void {
    if (cluster.timecode === undefined) throw invalidMkv(offset, 'block before the Cluster Timecode');
    const h = parseBlockHeader(body, base);
    cluster.blockCount++;
    out.push({
      type: 'simpleBlock',
      offset,
      trackNumber: h.trackNumber,
      timecode: cluster.timecode + h.relativeTimecode,
      relativeTimecode: h.relativeTimecode,
      keyframe: group ? !referencesOthers : (h.flags & 0x80) !== 0,
      invisible: (h.flags & 0x08) !== 0,
      discardable: !group && (h.flags & 0x01) !== 0,
      lacing: (h.flags >> 1) & 0x03,
      payload: body.subarray(h.dataStart),
      fromBlockGroup: group,
    });
  }

  private blockGroup(cluster: Container, body: Uint8Array, offset: number, base: number, out: MkvEvent[]): void {
    const { block, referencesOthers } = parseBlockGroup(body, base);
    if (!block) throw invalidMkv(offset, 'BlockGroup without a Block');
    this.block(cluster, body.subarray(block.start, block.end), offset, base + block.start, true, out, referencesOthers);
  }

  /** Runs `use` on the element's payload once it is all buffered; false while waiting for it. */
  private withBody(h: Header, use: (body: Uint8Array) => void): boolean {
    const total = h.headerLength + h.size!;
    if (total > this.maxElementBytes) {
      throw invalidMkv(this.pos, `element ${hexId(h.id)} claims ${h.size} bytes, above maxElementBytes ${this.maxElementBytes}`);
    }
    if (this.queue.length < total) return false;
    this.consume(h.headerLength);
    const body = this.queue.read(h.size!);
    this.pos += h.size!;
    use(body);
    return true;
  }

  private skip(h: Header): true {
    const total = h.headerLength + h.size!;
    this.skipped = { offset: this.pos, id: h.id, total };
    this.skipRemaining = total;
    return true;
  }

  private consume(n: number): void {
    this.queue.discard(n);
    this.pos += n;
  }

  private top(): Container | undefined {
    return this.stack[this.stack.length - 1];
  }

  private closeContainersEndingHere(out: MkvEvent[]): void {
    const i = this.stack.findIndex((c) => c.end !== undefined && c.end <= this.pos);
    if (i < 0) return;
    while (this.stack.length > i) this.close(out);
  }

  private close(out: MkvEvent[]): void {
    const c = this.stack.pop()!;
    if (c.id === Id.Segment) {
      out.push({ type: 'segmentEnd', offset: this.pos });
      return;
    }
    if (c.timecode === undefined) throw invalidMkv(c.start, 'Cluster without a Timecode');
    out.push({ type: 'clusterEnd', offset: this.pos, timecode: c.timecode, blockCount: c.blockCount });
  }

  /** Element ID and size at the front of the queue; undefined until those bytes are there. */
  private peekHeader(): Header | undefined {
    const q = this.queue;
    const first = q.byteAt(0);
    const idLength = vintLength(first, 4);
    if (idLength === 0) throw invalidMkv(this.pos, `byte 0x${first.toString(16)} cannot start an element ID`);
    if (q.length < idLength + 1) return undefined;
    let id = 0;
    for (let i = 0; i < idLength; i++) id = id * 256 + q.byteAt(i);
    // RFC 8794 §5: an ID whose value bits are all zeros or all ones is not a valid element ID.
    const value = id - 2 ** (7 * idLength);
    if (value === 0 || value === 2 ** (7 * idLength) - 1) throw invalidMkv(this.pos, `reserved element ID ${hexId(id)}`);

    const sizeFirst = q.byteAt(idLength);
    const sizeLength = vintLength(sizeFirst, 8);
    if (sizeLength === 0) throw invalidMkv(this.pos + idLength, `size of element ${hexId(id)} starts with 0x00`);
    if (q.length < idLength + sizeLength) return undefined;
    const mask = 0xff >> sizeLength;
    let size = sizeFirst & mask;
    let allOnes = size === mask;
    for (let i = 1; i < sizeLength; i++) {
      const b = q.byteAt(idLength + i);
      size = size * 256 + b;
      allOnes &&= b === 0xff;
    }
    if (allOnes) return { id, headerLength: idLength + sizeLength, size: undefined };
    if (!Number.isSafeInteger(size)) throw invalidMkv(this.pos, `element ${hexId(id)} claims ${size} bytes`);
    return { id, headerLength: idLength + sizeLength, size };
  }

  /** Where the input stopped inside an element, if it did. */
  private truncation(): MkvTruncation | undefined {
    if (this.skipped) {
      const s = this.skipped;
      return { type: 'truncated', offset: s.offset, elementId: s.id, expectedBytes: s.total, availableBytes: s.total - this.skipRemaining };
    }
    if (this.queue.length > 0) {
      const h = this.peekHeader();
      return {
        type: 'truncated',
        offset: this.pos,
        elementId: h?.id,
        expectedBytes: h && h.size !== undefined ? h.headerLength + h.size : undefined,
        availableBytes: this.queue.length,
      };
    }
    for (const c of this.stack) {
      if (c.end !== undefined && c.end > this.pos) {
        return { type: 'truncated', offset: c.start, elementId: c.id, expectedBytes: c.end - c.start, availableBytes: this.pos - c.start };
      }
    }
    const top = this.top();
    if (top?.id === Id.Cluster && top.timecode === undefined) {
      return { type: 'truncated', offset: top.start, elementId: top.id, expectedBytes: undefined, availableBytes: this.pos - top.start };
    }
    if (this.segmentDue) return { type: 'truncated', offset: this.pos, elementId: undefined, expectedBytes: undefined, availableBytes: 0 };
    return undefined;
  }
}

/** Whether an element with ID `child` continues an unknown-size `parent` (else it ends the parent). */
function containsUnknownSizeChild(parent: number, child: number): boolean {
  if (child === Id.Ebml || child === Id.Segment) return false;
  if (parent === Id.Cluster) return !SEGMENT_CHILDREN.has(child);
  return true;
}
