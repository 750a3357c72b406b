/**
 * Capacity control (SPEC.md §6.3): decides whether an append of `bytes` may go in now, and otherwise
 * applies `onFull`. Appends that have to wait queue in FIFO order (so a large append is not starved
 * and order is kept), bounded by maxBlockedAppends. One pump loop serves the queue; there is no
 * per-append timer or poll, only a wake-up when space is freed.
 */
import { SpoolClosedError, SpoolEntryTooLargeError, SpoolFullError } from './errors.js';
import type { CapacityOptions } from './options.js';

export interface AdmissionHooks {
  /** Bytes in segments now (written, acknowledged-but-undeleted included). */
  storedBytes(): number;
  /** Frees what acknowledgements allow (persist the mark, delete whole acknowledged segments); true if it freed bytes. */
  reclaim(): Promise<boolean>;
  /** Drops the oldest whole segment (drop-oldest); true if it freed bytes. */
  dropOldest(): Promise<boolean>;
  describe(): string;
}

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Admission {
  /** Admitted but not yet in a segment (the writer settles them). */
  private reserved = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;
  private wake: (() => void) | undefined;
  private freedWhileBusy = false;
  private closedError: Error | undefined;

  constructor(
    private readonly options: CapacityOptions,
    private readonly hooks: AdmissionHooks,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  get reservedBytes(): number {
    return this.reserved;
  }

  /**
   * Fast path: true if `bytes` were admitted now. False means the caller must `wait` (or, for
   * 'reject', fail). Throws if the append can never fit.
   */
  tryAdmit(bytes: number): boolean {
    if (bytes > this.options.maxBytes) {
      throw new SpoolEntryTooLargeError(
        `An append of ${bytes} bytes (framed) can never fit in spool.maxBytes (${this.options.maxBytes}); split the batch or raise maxBytes.`,
      );
    }
    if (this.queue.length === 0 && this.fits(bytes)) {
      this.reserved += bytes;
      return true;
    }
    return false;
  }

  /** Slow path after tryAdmit returned false: applies onFull. Resolves once the bytes are admitted. */
  wait(bytes: number): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.options.onFull === 'reject') {
      // Acknowledged segments may still be reclaimable; try once before refusing.
      return this.hooks.reclaim().then(() => {
        if (this.queue.length === 0 && this.fits(bytes)) {
          this.reserved += bytes;
          return;
        }
        throw this.fullError(bytes);
      });
    }
    // Bounded for drop-oldest too: appends keep arriving while a segment is being dropped.
    if (this.queue.length >= this.options.maxBlockedAppends) {
      return Promise.reject(
        new SpoolFullError(
          `${this.hooks.describe()} is full and ${this.queue.length} appends already wait for space (spool.maxBlockedAppends). ` +
            'Await each append before starting more, or raise spool.maxBytes.',
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      void this.pump();
    });
  }

  /** The writer calls this once admitted bytes are in a segment (or were rolled back). */
  settle(bytes: number): void {
    this.reserved -= bytes;
  }

  /** Space may have been freed (a segment deleted, or acks that make one deletable); wakes the pump to look. */
  spaceFreed(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      wake();
    } else {
      this.freedWhileBusy = true;
    }
  }

  /** Fails every waiting append and all later ones. */
  close(error: Error = new SpoolClosedError('append')): void {
    this.closedError = error;
    for (const waiter of this.queue.splice(0)) waiter.reject(error);
    this.spaceFreed();
  }

  private fits(bytes: number): boolean {
    return this.hooks.storedBytes() + this.reserved + bytes <= this.options.maxBytes;
  }

  private fullError(bytes: number): SpoolFullError {
    const held = this.hooks.storedBytes() + this.reserved;
    return new SpoolFullError(
      `${this.hooks.describe()} is full: it holds ${held} bytes and an append of ${bytes} more would pass spool.maxBytes (${this.options.maxBytes}). ` +
        "Raise spool.maxBytes, acknowledge delivered entries, or set spool.onFull to 'block' or 'drop-oldest'.",
    );
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closedError) {
        const head = this.queue[0]!;
        if (this.fits(head.bytes)) {
          this.queue.shift();
          this.reserved += head.bytes;
          head.resolve();
          continue;
        }
        this.freedWhileBusy = false;
        if (await this.hooks.reclaim()) continue;
        if (this.options.onFull === 'drop-oldest' && (await this.hooks.dropOldest())) continue;
        if (this.freedWhileBusy) continue;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } catch (error) {
      for (const waiter of this.queue.splice(0)) waiter.reject(error as Error);
    } finally {
      this.pumping = false;
    }
  }
}
