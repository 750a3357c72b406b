/**
 * Coalesces the puts of one event-loop turn into one spool append (a batch append is admitted and
 * made durable whole, SPEC.md §6.3), and hands every put of the batch the same promise. Per record
 * that leaves an array push: no promise, closure or spool call of its own, which is most of what a
 * put() used to cost. A batch is cut at `maxBatchRecords` / `maxBatchBytes` so one append never
 * approaches the spool's size limits.
 */
export interface AppendTarget {
  /** Appends the envelopes as one batch; resolves when all are accepted, rejects if none is. */
  append(envelopes: readonly Buffer[]): Promise<unknown>;
}

interface Batch {
  readonly envelopes: Buffer[];
  bytes: number;
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export interface AppendBatcherHooks {
  /** A batch settled: `error` undefined if every envelope in it was accepted. */
  settled(records: number, bytes: number, error: unknown): void;
}

export class AppendBatcher {
  #open: Batch | undefined;

  constructor(
    private readonly target: AppendTarget,
    private readonly hooks: AppendBatcherHooks,
    private readonly maxBatchRecords: number,
    private readonly maxBatchBytes: number,
  ) {}

  /** Adds the envelope to this turn's batch; resolves once the spool accepted the batch. */
  add(envelope: Buffer): Promise<void> {
    let batch = this.#open;
    if (batch !== undefined && (batch.envelopes.length >= this.maxBatchRecords || batch.bytes + envelope.length > this.maxBatchBytes)) {
      this.#dispatch(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = this.#newBatch();
      this.#open = batch;
      const opened = batch;
      queueMicrotask(() => {
        if (this.#open === opened) this.#dispatch(opened);
      });
    }
    batch.envelopes.push(envelope);
    batch.bytes += envelope.length;
    return batch.promise;
  }

  #newBatch(): Batch {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { envelopes: [], bytes: 0, promise, resolve, reject };
  }

  #dispatch(batch: Batch): void {
    if (this.#open === batch) this.#open = undefined;
    const records = batch.envelopes.length;
    const bytes = batch.bytes;
    this.target.append(batch.envelopes).then(
      () => {
        this.hooks.settled(records, bytes, undefined);
        batch.resolve();
      },
      (error: unknown) => {
        this.hooks.settled(records, bytes, error);
        batch.reject(error);
      },
    );
  }
}
