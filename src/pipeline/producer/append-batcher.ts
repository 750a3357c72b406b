/**
 * Coalesces the puts of one event-loop turn into one spool append (a batch append is admitted and
 * made durable whole, SPEC.md §6.3), and hands every put of the batch the same promise. Records are
 * encoded straight into the batch's frames, the buffer the spool writes (`appendFrames`): no
 * envelope buffer per record, no second copy into frames, and the checksum computed where the bytes
 * lie. Per record that leaves a few stores: no promise, closure or spool call of its own.
 *
 * Writing a record is two calls, so no closure is made per put: `reserve(maxBytes)` returns where to
 * encode it in `buffer`, and `commit(bytes)` frames it. A put that must wait at the gate takes its
 * record back out with `retractLast()`. A batch is cut at `maxBatchRecords` / `maxBatchBytes` so one
 * append never approaches the spool's size limits.
 */
import { ENTRY_HEADER_BYTES, frameHeader } from '../../spool/entry-codec.js';

export interface AppendTarget {
  /** Appends `count` framed entries as one batch; resolves when all are accepted, rejects if none is. */
  appendFrames(frames: Buffer, count: number): Promise<unknown>;
  /** A buffer of `bytes` to frame entries in. */
  frameBuffer(bytes: number): Buffer;
}

interface Batch {
  readonly frames: Buffer;
  /** Bytes framed so far. */
  used: number;
  count: number;
  /** Envelope (payload) bytes: what the put gate counts. */
  envelopeBytes: number;
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export interface AppendBatcherHooks {
  /** A batch settled: `error` undefined if every entry in it was accepted. */
  settled(records: number, bytes: number, error: unknown): void;
}

/** Smallest frames buffer a batch starts with; it grows towards what recent turns needed. */
const MIN_BATCH_BUFFER_BYTES = 16 * 1024;

export class AppendBatcher {
  #open: Batch | undefined;
  /** Where `reserve` said to encode the record being written. */
  #reservedAt = 0;
  /** Frames bytes the last dispatched batch used: the next batch's buffer is sized from it. */
  #lastUsed = 0;

  constructor(
    private readonly target: AppendTarget,
    private readonly hooks: AppendBatcherHooks,
    private readonly maxBatchRecords: number,
    private readonly maxBatchBytes: number,
  ) {}

  /** The buffer to encode the reserved record into (at the offset `reserve` returned). */
  get buffer(): Buffer {
    return this.#open!.frames;
  }

  /** The promise of the batch the last committed record went into. */
  get promise(): Promise<void> {
    return this.#open!.promise;
  }

  /**
   * Makes room for an envelope of at most `maxBytes` in this turn's batch (cutting the batch if it is
   * full) and returns the offset in `buffer` to encode it at. Nothing is added until `commit`.
   */
  reserve(maxBytes: number): number {
    let batch = this.#open;
    const need = ENTRY_HEADER_BYTES + maxBytes;
    if (
      batch !== undefined &&
      batch.count > 0 &&
      (batch.count >= this.maxBatchRecords || batch.envelopeBytes + maxBytes > this.maxBatchBytes || batch.used + need > batch.frames.length)
    ) {
      this.#dispatch(batch);
      batch = undefined;
    }
    if (batch === undefined || batch.used + need > batch.frames.length) {
      batch = this.#newBatch(need);
      this.#open = batch;
    }
    this.#reservedAt = batch.used + ENTRY_HEADER_BYTES;
    return this.#reservedAt;
  }

  /** Frames the envelope of `bytes` just encoded at the reserved offset; it is now part of the batch. */
  commit(bytes: number): void {
    const batch = this.#open!;
    frameHeader(batch.frames, this.#reservedAt - ENTRY_HEADER_BYTES, bytes);
    batch.used = this.#reservedAt + bytes;
    batch.count += 1;
    batch.envelopeBytes += bytes;
    // A full batch goes at the next reserve or at the end of the turn, never here: the put may still
    // have to take this record back out (retractLast). (`maxBytes` is the most a record may take, so
    // the batch never passes maxBatchBytes unless one record alone does.)
  }

  /** Takes the last committed record back out of the open batch, as an envelope of its own. */
  retractLast(): Buffer {
    const batch = this.#open!;
    const start = this.#reservedAt;
    const envelope = Buffer.from(batch.frames.subarray(start, batch.used));
    batch.used = start - ENTRY_HEADER_BYTES;
    batch.count -= 1;
    batch.envelopeBytes -= envelope.length;
    return envelope;
  }

  /** Adds an envelope encoded elsewhere (a put that waited at the gate); resolves once the spool accepted its batch. */
  add(envelope: Buffer): Promise<void> {
    const at = this.reserve(envelope.length);
    envelope.copy(this.#open!.frames, at);
    this.commit(envelope.length);
    return this.#open!.promise;
  }

  #newBatch(need: number): Batch {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const capacity = Math.max(need, MIN_BATCH_BUFFER_BYTES, Math.min(2 * this.#lastUsed, this.maxBatchBytes + ENTRY_HEADER_BYTES * this.maxBatchRecords));
    const batch: Batch = { frames: this.target.frameBuffer(capacity), used: 0, count: 0, envelopeBytes: 0, promise, resolve, reject };
    // Why a microtask: every put made in this turn of the event loop goes out in one append.
    queueMicrotask(() => {
      if (this.#open === batch) this.#dispatch(batch);
    });
    return batch;
  }

  #dispatch(batch: Batch): void {
    if (this.#open === batch) this.#open = undefined;
    const records = batch.count;
    const bytes = batch.envelopeBytes;
    if (records === 0) {
      // Every record was taken back out (they wait at the gate): nothing to append.
      batch.resolve();
      return;
    }
    this.#lastUsed = batch.used;
    this.target.appendFrames(batch.frames.subarray(0, batch.used), records).then(
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
