/**
 * Readers parked until the fragment store grows past a seq (the delivery cursor, once it has caught up with
 * the camera). Kept apart from the ring because the abort-signal bookkeeping (detach the listener on every
 * path, never leave a settled waiter in the set) is easy to get wrong and reads best on its own.
 */

interface Waiter {
  readonly afterSeq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class AppendWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves once `notify` reports a seq greater than `afterSeq`; rejects with the signal's reason on abort. */
  wait(afterSeq: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        afterSeq,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** A fragment with this seq is now stored: wakes every waiter it satisfies. */
  notify(seq: number): void {
    for (const waiter of this.waiters) {
      if (seq > waiter.afterSeq) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Rejects every waiter (the store is closing), so no reader hangs on a store that will not grow. */
  rejectAll(error: unknown): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }
}
