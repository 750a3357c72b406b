/**
 * Reusable buffers for fragment bytes: the fragments the camera side writes, and the payloads read back
 * from the store to send. At 1080p either stream is about a megabyte a second; with a fresh buffer each
 * time, that megabyte waits for the garbage collector, which on a producer that allocates little else runs
 * only every few seconds, and until then it counts in the process's memory. A user gives a buffer back
 * once nothing reads it any more (the store has written it; the socket has taken its bytes), and the next
 * fragment of about the same size reuses it.
 *
 * Holds at most `keep` free buffers, and none smaller than the last size asked for: a fragment outgrew it,
 * so it would only sit here. A buffer the pool did not make (a slice of Node's shared small-buffer pool, a
 * caller's own) is never taken in.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private lastAsked = 0;

  /**
   * `maxBytes`: new buffers get a quarter more room than asked (sizes of one stream vary a little), but not
   * past this unless the request itself is larger.
   */
  constructor(
    private readonly keep = 2,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** A buffer of at least `bytes` bytes (possibly more: use only what you asked for). */
  acquire(bytes: number): Buffer {
    this.lastAsked = bytes;
    const i = this.free.findIndex((b) => b.length >= bytes);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    const buffer = Buffer.allocUnsafeSlow(Math.max(bytes, Math.min(Math.ceil(bytes * 1.25), this.maxBytes)));
    this.owned.add(buffer.buffer);
    return buffer;
  }

  /** Gives back a buffer from acquire(), or any view of one; nobody may read or write it afterwards. */
  release(view: Uint8Array): void {
    const whole = view.buffer;
    if (!this.owned.has(whole) || whole.byteLength < this.lastAsked || this.free.length >= this.keep) return;
    if (this.free.some((b) => b.buffer === whole)) return; // given back twice
    this.free.push(Buffer.from(whole, 0, whole.byteLength));
  }

  /** Free buffers held now. */
  get size(): number {
    return this.free.length;
  }
}
