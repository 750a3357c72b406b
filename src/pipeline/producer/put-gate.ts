/**
 * Backpressure at put(): bounds the bytes (and count) of records that put() has taken but the spool
 * has not accepted yet, so a caller that puts faster than the disk (or a full spool under 'block')
 * waits or is refused instead of growing the heap. Waiters queue in FIFO order, and there are at
 * most `maxWaitingPuts` of them: a caller that never awaits its puts is refused once that many wait.
 */
import { ProducerBackpressureError } from './errors.js';

export type BackpressurePolicy = 'block' | 'reject';

export interface PutGateOptions {
  readonly maxPendingBytes: number;
  readonly maxPendingPuts: number;
  readonly onBackpressure: BackpressurePolicy;
  readonly maxWaitingPuts: number;
}

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class PutGate {
  #pendingBytes = 0;
  #pendingPuts = 0;
  readonly #waiters: Waiter[] = [];
  #waitersHead = 0;
  #closed: Error | undefined;

  constructor(private readonly options: PutGateOptions) {}

  get pendingPuts(): number {
    return this.#pendingPuts;
  }

  get waiting(): number {
    return this.#waiters.length - this.#waitersHead;
  }

  /** True if the put may go to the spool now (and is counted as pending). */
  tryAdmit(bytes: number): boolean {
    if (this.waiting === 0 && this.#fits(bytes)) {
      this.#pendingBytes += bytes;
      this.#pendingPuts += 1;
      return true;
    }
    return false;
  }

  /** After tryAdmit said no: wait in line ('block') or refuse ('reject'). */
  wait(bytes: number): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.options.onBackpressure === 'reject') {
      return Promise.reject(
        new ProducerBackpressureError(
          `${this.#pendingPuts} records (${this.#pendingBytes} bytes) are waiting to enter the spool (limits: maxPendingPuts ${this.options.maxPendingPuts}, ` +
            `maxPendingBytes ${this.options.maxPendingBytes}); put() refuses more with onBackpressure 'reject'. Await puts, slow down, or use 'block'.`,
        ),
      );
    }
    if (this.waiting >= this.options.maxWaitingPuts) {
      return Promise.reject(
        new ProducerBackpressureError(
          `${this.waiting} put() calls already wait for room (maxWaitingPuts). Await each put() before starting more, or raise maxWaitingPuts.`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => this.#waiters.push({ bytes, resolve, reject }));
  }

  /** Pending puts settled (accepted or failed): let waiters in. */
  release(bytes: number, puts = 1): void {
    this.#pendingBytes -= bytes;
    this.#pendingPuts -= puts;
    while (this.waiting > 0) {
      const head = this.#waiters[this.#waitersHead]!;
      if (!this.#fits(head.bytes)) break;
      this.#waiters[this.#waitersHead] = undefined as unknown as Waiter;
      this.#waitersHead += 1;
      this.#pendingBytes += head.bytes;
      this.#pendingPuts += 1;
      head.resolve();
    }
    if (this.#waitersHead > 1024 && this.#waitersHead * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#waitersHead);
      this.#waitersHead = 0;
    }
  }

  close(error: Error): void {
    this.#closed = error;
    for (let i = this.#waitersHead; i < this.#waiters.length; i++) this.#waiters[i]!.reject(error);
    this.#waiters.length = 0;
    this.#waitersHead = 0;
  }

  #fits(bytes: number): boolean {
    // Always let one put through, however large, so a big record cannot wedge the gate.
    if (this.#pendingPuts === 0) return true;
    return this.#pendingPuts < this.options.maxPendingPuts && this.#pendingBytes + bytes <= this.options.maxPendingBytes;
  }
}
