/**
 * Buffers for large appends' frames, reused once the tail cache lets go of them. A producer appends
 * up to a MiB of frames per event-loop turn; the tail cache keeps the newest few for its reader, so
 * they outlive V8's young generation, and fresh ones were old-generation garbage that only a full
 * collection freed: tens of megabytes of resident memory in between. Small appends use ordinary
 * buffers (a recycled one would pin far more memory than they need).
 */
export const FRAME_BUFFER_BYTES = 1280 * 1024;
/** Appends smaller than this get an ordinary buffer. */
const MIN_RECYCLED_BYTES = 64 * 1024;

export class FrameBuffers {
  readonly #free: ArrayBuffer[] = [];

  constructor(private readonly maxFree: number) {}

  /** A buffer of exactly `bytes`, contents undefined. */
  take(bytes: number): Buffer {
    if (bytes < MIN_RECYCLED_BYTES || bytes > FRAME_BUFFER_BYTES) return Buffer.allocUnsafe(bytes);
    return Buffer.from(this.#free.pop() ?? new ArrayBuffer(FRAME_BUFFER_BYTES), 0, bytes);
  }

  /** Takes back a buffer from `take` that nothing uses any more (others are left to the GC). */
  give(frames: Buffer): void {
    if (frames.byteOffset !== 0 || frames.buffer.byteLength !== FRAME_BUFFER_BYTES || this.#free.length >= this.maxFree) return;
    this.#free.push(frames.buffer as ArrayBuffer);
  }
}
