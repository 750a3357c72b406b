/**
 * Bytes pushed in chunks and consumed from the front. Reads that fall inside one chunk return a view
 * (no copy); only an element spread over several chunks is copied, once, when it is complete. That
 * keeps a 200 KB frame pushed in 1-byte chunks linear instead of quadratic.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The byte at `index` from the front; the caller checks `index < length`. */
  byteAt(index: number): number {
    let i = index + this.head;
    for (const c of this.chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    return -1;
  }

  /** Removes and returns `n` bytes (`n <= length`). */
  read(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && this.head + n <= first.length) {
      const view = first.subarray(this.head, this.head + n);
      this.advance(n);
      return view;
    }
    const out = new Uint8Array(n);
    let w = 0;
    while (w < n) {
      const c = this.chunks[0]!;
      const take = Math.min(n - w, c.length - this.head);
      out.set(c.subarray(this.head, this.head + take), w);
      w += take;
      this.advance(take);
    }
    return out;
  }

  /** Drops up to `n` bytes; returns how many were dropped. */
  discard(n: number): number {
    const drop = Math.min(n, this.total);
    let left = drop;
    while (left > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(left, c.length - this.head);
      this.advance(take);
      left -= take;
    }
    return drop;
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
