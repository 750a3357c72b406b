/**
 * The bytes of an upload from some offset on, addressed by absolute offset in the body: what a PutMedia
 * session keeps so it can cut out the raw elements (header parts, clusters) the MKV reader reports by
 * offset. Chunks are kept as they arrived (no copy) and dropped once wholly before the release point.
 */
export class ByteWindow {
  private chunks: Uint8Array[] = [];
  /** Absolute offset of chunks[0][0]. */
  private base = 0;
  private total = 0;

  /** Absolute offset just past the last byte. */
  get end(): number {
    return this.base + this.total;
  }

  /** Absolute offset of the first byte still held. */
  get start(): number {
    return this.base;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  byteAt(offset: number): number {
    let p = offset - this.base;
    if (p < 0 || p >= this.total) throw new RangeError(`byte ${offset} is not held (window ${this.base}..${this.end})`);
    for (const c of this.chunks) {
      if (p < c.length) return c[p]!;
      p -= c.length;
    }
    throw new RangeError(`byte ${offset} is not held`);
  }

  /** Copies bytes [from, to) into `target` at `at`. */
  copyInto(target: Uint8Array, at: number, from: number, to: number): void {
    if (from < this.base || to > this.end || from > to) throw new RangeError(`bytes ${from}..${to} are not held (window ${this.base}..${this.end})`);
    let skip = from - this.base;
    let remaining = to - from;
    for (const c of this.chunks) {
      if (remaining === 0) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const n = Math.min(c.length - skip, remaining);
      target.set(c.subarray(skip, skip + n), at);
      at += n;
      remaining -= n;
      skip = 0;
    }
  }

  /** A copy of bytes [from, to). */
  slice(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    this.copyInto(out, 0, from, to);
    return out;
  }

  /** Forgets the bytes before `offset` (whole chunks only: a partly needed chunk stays). */
  release(offset: number): void {
    let drop = 0;
    while (drop < this.chunks.length && this.base + this.chunks[drop]!.length <= offset) {
      this.base += this.chunks[drop]!.length;
      this.total -= this.chunks[drop]!.length;
      drop++;
    }
    if (drop > 0) this.chunks = this.chunks.slice(drop);
  }
}

/** Bytes of the EBML element header (ID and size) starting at `offset`: reads its two vint length markers. */
export function elementHeaderLength(window: ByteWindow, offset: number): number {
  const idLength = vintLength(window.byteAt(offset));
  const sizeLength = vintLength(window.byteAt(offset + idLength));
  return idLength + sizeLength;
}

/** Total bytes (header and payload) of the element of known size at `offset`. */
export function elementLength(window: ByteWindow, offset: number): number {
  const idLength = vintLength(window.byteAt(offset));
  const first = window.byteAt(offset + idLength);
  const sizeLength = vintLength(first);
  let size = first & (0xff >> sizeLength);
  for (let i = 1; i < sizeLength; i++) size = size * 256 + window.byteAt(offset + idLength + i);
  return idLength + sizeLength + size;
}

function vintLength(first: number): number {
  for (let len = 1; len <= 8; len++) if (first & (0x100 >> len)) return len;
  throw new RangeError('not a vint');
}
