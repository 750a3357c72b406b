/**
 * Buffers of one size, handed out for KPL aggregates and taken back once the aggregate is delivered.
 * A draining producer seals an aggregate every few hundred records, and a fresh 50 KB buffer each
 * time was memory the process only got back when V8 happened to collect the buffer's wrapper, and
 * that the C allocator then kept: peaks of such garbage set the process's resident size. Recycled
 * buffers keep the working set fixed.
 *
 * Only whole buffers of this size come back (a view at an offset, or another size, is left to the GC),
 * and only on the delivery path, where nothing else holds the entry any more.
 */
export class BufferRecycler {
  readonly #free: ArrayBuffer[] = [];

  constructor(
    /** Every buffer's capacity. */
    readonly size: number,
    /** Free buffers kept at most (more are left to the GC). */
    private readonly maxFree: number,
  ) {}

  /** A buffer of `length` bytes (at most `size`), contents undefined. */
  take(length: number): Buffer {
    if (length > this.size) return Buffer.allocUnsafe(length);
    const free = this.#free.pop();
    return free !== undefined ? Buffer.from(free, 0, length) : Buffer.from(new ArrayBuffer(this.size), 0, length);
  }

  /** Takes `buffer` back if it came from `take`; the caller must not use it afterwards. */
  give(buffer: Uint8Array): void {
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== this.size || this.#free.length >= this.maxFree) return;
    this.#free.push(buffer.buffer as ArrayBuffer);
  }
}
