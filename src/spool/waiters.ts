/**
 * Readers waiting for entries (`waitForEntries`): one list, woken when the accepted seq moves, so a
 * sender sleeps without polling and without a timer per record.
 */
interface Waiter {
  readonly fromSeq: number;
  readonly resolve: (ready: boolean) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class EntryWaiters {
  private waiters: Waiter[] = [];
  private closed = false;

  /** `acceptedEnd` is one past the last accepted seq. */
  wait(fromSeq: number, acceptedEnd: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    if (acceptedEnd > fromSeq) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        fromSeq,
        resolve,
        signal,
        onAbort: () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Wakes every waiter whose entry is now accepted. */
  accepted(acceptedEnd: number): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (acceptedEnd > waiter.fromSeq) this.settle(waiter, true);
      else still.push(waiter);
    }
    this.waiters = still;
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) this.settle(waiter, false);
    this.waiters = [];
  }

  private settle(waiter: Waiter, ready: boolean): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(ready);
  }
}
