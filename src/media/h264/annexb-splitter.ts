import { H264Error } from './errors.js';
import { makeNalUnit, type NalUnit } from './nal.js';

/** Default cap on one NAL unit: far above any real slice (a 4K IDR is a few MB), far below trouble. */
const DEFAULT_MAX_NAL_BYTES = 32 * 1024 * 1024;

/**
 * Splits an H.264 Annex B byte stream into NAL units, push by push, as the bytes come out of ffmpeg's
 * stdout: chunks may end anywhere, including inside a start code. A NAL unit is complete only when the
 * next start code (or `end()`) is seen, so each push returns the units completed by that chunk.
 *
 * Returned `data` may be a view into a pushed chunk (no copy when a NAL unit lies within one chunk), so
 * callers must not modify chunks after pushing them; Node stream chunks are fresh buffers already.
 */
export class AnnexBSplitter {
  /** Pieces of the NAL unit being collected, in order, start code excluded. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Whether a start code has been seen (bytes before the first one are not a NAL unit). */
  private inNal = false;
  private startCodeLength: 3 | 4 = 4;
  /** Zero bytes at the very end of everything pushed so far (capped at 3): half a start code. */
  private trailingZeros = 0;
  private bytesBeforeFirstStartCode = 0;

  /** Bytes before the first start code (other than its own zeros), dropped; 0 for a well-formed stream. */
  get skippedLeadingBytes(): number {
    return this.bytesBeforeFirstStartCode;
  }

  /**
   * `maxNalBytes`: a NAL unit growing past this throws H264_NAL_TOO_LARGE, so input that is not Annex B
   * (no start codes) cannot make the splitter hold everything it is given.
   */
  constructor(private readonly maxNalBytes = DEFAULT_MAX_NAL_BYTES) {}

  /**
   * The first two bytes of the NAL unit still being received (header byte and the byte after it), so
   * the access-unit grouping can tell that a new picture has begun without waiting for its end.
   */
  pendingHead(): Uint8Array | undefined {
    if (!this.inNal) return undefined;
    const first = this.parts[0];
    if (!first) return undefined;
    const head = first.length >= 2 || this.parts.length === 1 ? first.subarray(0, 2) : Uint8Array.of(first[0]!, this.parts[1]![0]!);
    // 00 cannot be a NAL header; it is the start of the next start code.
    return head[0] === 0 ? undefined : head;
  }

  push(chunk: Uint8Array, out: NalUnit[] = []): NalUnit[] {
    if (chunk.length === 0) return out;
    // Buffer.indexOf searches natively (memchr), far faster than a byte loop in JS; 0x01 is rare in
    // compressed data, so we look for it and then check the zeros in front.
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let segmentStart = 0;
    let one = buf.indexOf(1, 0);
    while (one !== -1) {
      let zeros = 0;
      let j = one - 1;
      while (j >= 0 && zeros < 3 && buf[j] === 0) {
        zeros++;
        j--;
      }
      if (j < 0 && zeros < 3) zeros = Math.min(3, zeros + this.trailingZeros);
      if (zeros >= 2) {
        // The bytes up to the 01 belong to the current unit; its trailing zeros (the start code's zeros
        // and any trailing_zero_8bits) are trimmed in finishNal, even when they sit in earlier chunks.
        if (one > segmentStart) this.append(buf.subarray(segmentStart, one));
        this.finishNal(out, zeros);
        this.inNal = true;
        this.startCodeLength = zeros >= 3 ? 4 : 3;
        segmentStart = one + 1;
      }
      one = buf.indexOf(1, one + 1);
    }
    if (segmentStart < buf.length) this.append(buf.subarray(segmentStart));
    this.trailingZeros = countTrailingZeros(buf, this.trailingZeros);
    return out;
  }

  /** Call once the stream has ended: emits the last NAL unit, which has no start code after it. */
  end(out: NalUnit[] = []): NalUnit[] {
    this.finishNal(out, 0);
    this.inNal = false;
    this.trailingZeros = 0;
    return out;
  }

  private append(piece: Buffer): void {
    if (!this.inNal) {
      this.bytesBeforeFirstStartCode += piece.length;
      return;
    }
    this.parts.push(piece);
    this.partsLength += piece.length;
    if (this.partsLength > this.maxNalBytes) {
      const size = this.partsLength;
      this.parts = [];
      this.partsLength = 0;
      this.inNal = false;
      throw new H264Error('H264_NAL_TOO_LARGE', `a NAL unit passed ${this.maxNalBytes} bytes (${size} so far) without a start code; the input is not an H.264 Annex B stream (ffmpeg: -f h264 with -bsf:v h264_mp4toannexb)`);
    }
  }

  /**
   * Every piece of the NAL unit being received (views into pushed chunks), each replaced by what `move`
   * returns: lets an InputWindow move the bytes it owns and re-point them.
   */
  retainedViews(move: (view: Uint8Array) => Uint8Array): void {
    for (let i = 0; i < this.parts.length; i += 1) {
      const moved = move(this.parts[i]!);
      if (moved !== this.parts[i]) this.parts[i] = Buffer.isBuffer(moved) ? moved : Buffer.from(moved.buffer, moved.byteOffset, moved.byteLength);
    }
  }

  /** `startCodeZeros`: zeros of the start code that ends this unit, already counted if before the first. */
  private finishNal(out: NalUnit[], startCodeZeros: number): void {
    if (!this.inNal) {
      // The first start code's own zeros were counted as leading bytes; they are not garbage.
      this.bytesBeforeFirstStartCode = Math.max(0, this.bytesBeforeFirstStartCode - startCodeZeros);
      return;
    }
    const parts = this.parts;
    // A NAL unit never ends in a zero byte (its RBSP ends with a stop bit), so every trailing zero is
    // start-code prefix or trailing_zero_8bits.
    while (parts.length > 0) {
      const last = parts[parts.length - 1]!;
      let end = last.length;
      while (end > 0 && last[end - 1] === 0) end--;
      if (end === 0) {
        parts.pop();
        continue;
      }
      if (end < last.length) parts[parts.length - 1] = last.subarray(0, end);
      break;
    }
    if (parts.length > 0) out.push(makeNalUnit(joinParts(parts), this.startCodeLength));
    this.parts = [];
    this.partsLength = 0;
  }
}

function countTrailingZeros(buf: Buffer, carried: number): number {
  let n = 0;
  for (let i = buf.length - 1; i >= 0 && n < 3; i--) {
    if (buf[i] !== 0) return n;
    n++;
  }
  return Math.min(3, n + carried);
}

/**
 * The pieces of one NAL unit as one buffer. Pieces side by side in one buffer (an InputWindow, or
 * consecutive slices of one caller buffer) are joined by a view: no copy.
 */
function joinParts(parts: readonly Buffer[]): Buffer {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let length = first.length;
  let contiguous = true;
  for (let i = 1; i < parts.length; i += 1) {
    const prev = parts[i - 1]!;
    const part = parts[i]!;
    if (part.buffer !== prev.buffer || part.byteOffset !== prev.byteOffset + prev.length) contiguous = false;
    length += part.length;
  }
  return contiguous ? Buffer.from(first.buffer, first.byteOffset, length) : Buffer.concat(parts, length);
}
