/**
 * One buffer the parser owns, into which input chunks are copied, for callers whose chunk memory is only
 * valid during the push (a socket read into one reused buffer: see the camera supervisor's
 * `reuseStdoutBuffer`). Reading the camera that way allocates nothing per chunk, where a Node stream hands
 * out a fresh buffer for every read, and those wait for the garbage collector: on a quiet producer that
 * runs every few seconds, so a 6 Mbit/s camera kept megabytes of dead chunks in the process's memory.
 *
 * Bytes still needed (the NAL unit being received, the access unit being assembled) are views into the
 * window. When the window is full, it moves those bytes to its start (or into a larger window, when they
 * and the next chunk do not fit) and re-points the views; everything before them is free. Access units
 * returned by a push are therefore valid until the next push or end().
 */

/** Visits every view a parser still holds into its input; each is replaced by what `move` returns. */
export type RetainedViews = (move: (view: Uint8Array) => Uint8Array) => void;

const DEFAULT_WINDOW_BYTES = 256 * 1024;

export class InputWindow {
  private buffer: Buffer;
  private used = 0;

  constructor(initialBytes = DEFAULT_WINDOW_BYTES) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Bytes the window holds now (grows with the largest access unit seen). */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Copies `chunk` in and returns the copy, to be parsed; `retained` lists the views that must survive. */
  admit(chunk: Uint8Array, retained: RetainedViews): Buffer {
    if (this.used + chunk.length > this.buffer.length) this.makeRoom(chunk.length, retained);
    const start = this.used;
    this.buffer.set(chunk, start);
    this.used += chunk.length;
    return this.buffer.subarray(start, this.used);
  }

  private makeRoom(incoming: number, retained: RetainedViews): void {
    const old = this.buffer;
    const inWindow = (view: Uint8Array): boolean => view.buffer === old.buffer;
    let oldest = this.used;
    retained((view) => {
      if (inWindow(view)) oldest = Math.min(oldest, view.byteOffset - old.byteOffset);
      return view;
    });
    const keep = this.used - oldest;
    // Doubling keeps the copies rare while one access unit outgrows the window.
    const target = keep + incoming > old.length ? Buffer.allocUnsafeSlow(Math.max(old.length * 2, keep + incoming)) : old;
    if (target === old) old.copyWithin(0, oldest, this.used);
    else old.copy(target, 0, oldest, this.used);
    retained((view) => {
      if (!inWindow(view)) return view;
      const at = view.byteOffset - old.byteOffset - oldest;
      return target.subarray(at, at + view.length);
    });
    this.buffer = target;
    this.used = keep;
  }
}
