/**
 * The fragment store: a bounded ring of video fragments on disk that survives restarts.
 *
 * While the link is down the camera keeps recording into it; when it is full (by total bytes or by total
 * duration) the oldest fragment is evicted, and every eviction is counted and reported. A fragment leaves
 * the ring when the service confirms it (PERSISTED, or RECEIVED on a stream without retention), when it is
 * skipped for a recorded reason, or when it is found corrupt.
 *
 * Durability: each fragment is one file written to a temp name, fsynced (fsync 'always') and renamed, so a
 * crash leaves either the whole file or a `.tmp` that the next open deletes. On open every fragment file's
 * header (with its own CRC) and length are checked, and bad files are deleted and counted (store-recovery.ts);
 * waiting for the next append is append-waiters.ts. Payload CRCs are
 * checked when a fragment is read for sending (reading every payload at boot would cost minutes on an SD
 * card with a full ring); a payload that fails is dropped and counted before any byte of it is sent.
 *
 * Memory: only per-fragment metadata (~100 bytes each) is kept; payloads are read in chunks when sent.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { KinesisVideoError } from './errors.js';
import {
  FRAGMENT_HEADER_BYTES,
  decodeStreamHeaderFile,
  encodeFragmentHeader,
  encodeStreamHeaderFile,
  fragmentFileName,
  headerFileName,
  streamHeaderId,
} from './fragment-file.js';
import { PayloadReadError, readVerifiedPayload, removeFile, writeAtomically } from './fragment-files.js';
import { AppendWaiters } from './append-waiters.js';
import { BufferPool } from './buffer-pool.js';
import { recoverStoreDirectory } from './store-recovery.js';

/** What the MKV writer tells us about a fragment (its bytes are opaque here). */
export interface FragmentMeta {
  /** The cluster's absolute timecode in ms: what the ACKs will quote back. */
  readonly fragmentTimecodeMs: number;
  readonly durationMs: number;
  /** The fragment starts with a keyframe (kedge's MKV writer always starts clusters on one). */
  readonly keyframe: boolean;
}

export interface StoredFragment extends FragmentMeta {
  /** Position in the ring: increases with every append, also across restarts. */
  readonly seq: number;
  /** Payload bytes (the fragment itself). */
  readonly bytes: number;
  readonly headerId: string;
  readonly payloadCrc: number;
}

export type FreeReason = 'persisted' | 'received' | 'skipped';

export type FragmentStoreEvent =
  | { readonly type: 'evicted'; readonly fragment: StoredFragment; readonly cause: 'bytes' | 'duration' }
  | { readonly type: 'corrupt'; readonly file: string; readonly reason: string; readonly phase: 'open' | 'read' }
  | { readonly type: 'freed'; readonly fragment: StoredFragment; readonly reason: FreeReason; readonly detail?: string };

export interface FragmentStoreOptions {
  readonly dir: string;
  /** Upper bound on the ring's size on disk (fragment files, headers included). */
  readonly maxBytes: number;
  /** Upper bound on the total duration of the fragments kept. */
  readonly maxDurationMs: number;
  /** 'always' (default): fsync each fragment file and the directory before the append resolves. */
  readonly fsync?: 'always' | 'never';
  /** Read size when sending; also the most payload memory one reader holds (default 512 KiB). */
  readonly readChunkBytes?: number;
  readonly onEvent?: (event: FragmentStoreEvent) => void;
}

export interface FragmentStoreStats {
  readonly fragments: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly oldestTimecodeMs: number | undefined;
  readonly newestTimecodeMs: number | undefined;
  readonly appended: number;
  readonly evicted: { readonly fragments: number; readonly bytes: number; readonly durationMs: number };
  readonly freed: { readonly persisted: number; readonly received: number; readonly skipped: number };
  readonly corrupt: { readonly atOpen: number; readonly atRead: number };
  /** `.tmp` files found at open: writes a crash interrupted. */
  readonly tornAtOpen: number;
}

export class FragmentStore {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxDurationMs: number;
  private readonly fsyncAlways: boolean;
  private readonly readChunkBytes: number;
  /** Read buffers for sending, given back by the session once the socket has taken them. */
  private readonly readBuffers: BufferPool;
  private readonly onEvent: (event: FragmentStoreEvent) => void;
  /** Insertion order is seq order: appends only ever add a larger seq. */
  private readonly entries = new Map<number, StoredFragment>();
  private readonly headerRefs = new Map<string, number>();
  private readonly waiters = new AppendWaiters();
  private nextSeq = 0;
  /** The largest seq ever inserted (on disk and indexed), -1 before the first. */
  private lastInsertedSeq = -1;
  private totalBytes = 0;
  private totalDurationMs = 0;
  private currentHeaderId: string | undefined;
  private appendChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly counters = {
    appended: 0,
    evicted: { fragments: 0, bytes: 0, durationMs: 0 },
    freed: { persisted: 0, received: 0, skipped: 0 },
    corrupt: { atOpen: 0, atRead: 0 },
    tornAtOpen: 0,
  };

  private constructor(options: FragmentStoreOptions) {
    if (!(options.maxBytes > 0) || !(options.maxDurationMs > 0)) {
      throw new KinesisVideoError('KVS_STORE_INVALID', 'The fragment store needs maxBytes > 0 and maxDurationMs > 0.');
    }
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.maxDurationMs = options.maxDurationMs;
    this.fsyncAlways = (options.fsync ?? 'always') === 'always';
    this.readChunkBytes = options.readChunkBytes ?? 512 * 1024;
    this.readBuffers = new BufferPool(2, this.readChunkBytes);
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** Opens (or creates) the store in `dir`, keeping every intact fragment a previous run left. */
  static async open(options: FragmentStoreOptions): Promise<FragmentStore> {
    const store = new FragmentStore(options);
    await mkdir(options.dir, { recursive: true });
    await store.recover();
    return store;
  }

  private async recover(): Promise<void> {
    const recovered = await recoverStoreDirectory(this.dir, this.onEvent);
    this.counters.tornAtOpen += recovered.torn;
    this.counters.corrupt.atOpen += recovered.corrupt;
    for (const fragment of recovered.fragments) {
      this.insert(fragment);
      this.nextSeq = Math.max(this.nextSeq, fragment.seq + 1);
    }
    // The bounds may have shrunk since the last run.
    await this.removeEvicted(this.evictFor(0, 0));
  }

  /** Stores the MKV stream header (EBML+Segment+Info+Tracks) that later fragments are sent behind. */
  async putHeader(bytes: Uint8Array): Promise<string> {
    this.assertOpen();
    const id = streamHeaderId(bytes);
    if (!this.headerRefs.has(id)) {
      await this.writeAtomically(headerFileName(id), [encodeStreamHeaderFile(bytes)]);
      if (!this.headerRefs.has(id)) this.headerRefs.set(id, 0);
    }
    const previous = this.currentHeaderId;
    this.currentHeaderId = id;
    if (previous !== undefined && previous !== id) await this.releaseHeaderIfUnused(previous);
    return id;
  }

  async readHeader(headerId: string): Promise<Buffer> {
    let raw: Buffer;
    try {
      raw = await readFile(join(this.dir, headerFileName(headerId)));
    } catch (error) {
      throw new KinesisVideoError('KVS_FRAGMENT_GONE', `Stream header ${headerId} is no longer in the store.`, { cause: error });
    }
    const decoded = decodeStreamHeaderFile(raw);
    if (!Buffer.isBuffer(decoded)) {
      throw new KinesisVideoError('KVS_FRAGMENT_CORRUPT', `Stream header ${headerId} is corrupt: ${decoded.invalid}.`);
    }
    return decoded;
  }

  /**
   * Appends a fragment behind the current header (or `headerId`), evicting the oldest fragments first if the
   * ring is full. Resolves once the fragment is on disk (and fsynced with fsync 'always').
   */
  append(payload: Uint8Array, meta: FragmentMeta & { readonly headerId?: string }): Promise<StoredFragment> {
    const run = this.appendChain.then(() => this.appendNow(payload, meta));
    this.appendChain = run.catch(() => {});
    return run;
  }

  private async appendNow(payload: Uint8Array, meta: FragmentMeta & { readonly headerId?: string }): Promise<StoredFragment> {
    this.assertOpen();
    const headerId = meta.headerId ?? this.currentHeaderId;
    if (headerId === undefined || !this.headerRefs.has(headerId)) {
      throw new KinesisVideoError('KVS_NO_HEADER', 'Store the MKV stream header (putHeader) before its fragments.');
    }
    if (!Number.isSafeInteger(meta.fragmentTimecodeMs) || !Number.isInteger(meta.durationMs) || meta.durationMs < 0) {
      throw new KinesisVideoError('KVS_STORE_INVALID', 'fragmentTimecodeMs and durationMs must be integers (ms).');
    }
    const fileBytes = FRAGMENT_HEADER_BYTES + payload.length;
    if (fileBytes > this.maxBytes || meta.durationMs > this.maxDurationMs) {
      throw new KinesisVideoError(
        'KVS_FRAGMENT_TOO_LARGE',
        `A ${payload.length}-byte, ${meta.durationMs} ms fragment cannot fit a store of ${this.maxBytes} bytes / ${this.maxDurationMs} ms; raise the store's bounds.`,
      );
    }
    const fragment: StoredFragment = {
      seq: this.nextSeq,
      fragmentTimecodeMs: meta.fragmentTimecodeMs,
      durationMs: meta.durationMs,
      keyframe: meta.keyframe,
      bytes: payload.length,
      headerId,
      payloadCrc: crc32(payload),
    };
    this.nextSeq += 1;
    // Delete before writing, so the ring never holds more than maxBytes on disk.
    await this.removeEvicted(this.evictFor(fileBytes, meta.durationMs));
    await this.writeAtomically(fragmentFileName(fragment.seq), [encodeFragmentHeader({ ...fragment, payloadBytes: fragment.bytes }), payload]);
    this.insert(fragment);
    this.counters.appended += 1;
    this.waiters.notify(fragment.seq);
    return fragment;
  }

  private insert(fragment: StoredFragment): void {
    this.entries.set(fragment.seq, fragment);
    this.lastInsertedSeq = Math.max(this.lastInsertedSeq, fragment.seq);
    this.totalBytes += FRAGMENT_HEADER_BYTES + fragment.bytes;
    this.totalDurationMs += fragment.durationMs;
    this.headerRefs.set(fragment.headerId, (this.headerRefs.get(fragment.headerId) ?? 0) + 1);
  }

  /** Takes a fragment out of the index (synchronously) and returns it. */
  private take(seq: number): StoredFragment | undefined {
    const fragment = this.entries.get(seq);
    if (fragment === undefined) return undefined;
    this.entries.delete(seq);
    this.totalBytes -= FRAGMENT_HEADER_BYTES + fragment.bytes;
    this.totalDurationMs -= fragment.durationMs;
    this.headerRefs.set(fragment.headerId, (this.headerRefs.get(fragment.headerId) ?? 1) - 1);
    return fragment;
  }

  /** Takes the oldest fragments out of the index until `extra` fits; returns them for removeEvicted. */
  private evictFor(extraBytes: number, extraDurationMs: number): StoredFragment[] {
    const evicted: StoredFragment[] = [];
    while (this.entries.size > 0) {
      const overBytes = this.totalBytes + extraBytes > this.maxBytes;
      const overDuration = this.totalDurationMs + extraDurationMs > this.maxDurationMs;
      if (!overBytes && !overDuration) break;
      const oldest = this.take(this.entries.keys().next().value!)!;
      this.counters.evicted.fragments += 1;
      this.counters.evicted.bytes += oldest.bytes;
      this.counters.evicted.durationMs += oldest.durationMs;
      this.onEvent({ type: 'evicted', fragment: oldest, cause: overBytes ? 'bytes' : 'duration' });
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Unlinking a file a sender is reading is fine on POSIX: its open descriptor keeps working. */
  private async removeEvicted(evicted: readonly StoredFragment[]): Promise<void> {
    for (const fragment of evicted) await this.removeFragmentFile(fragment).catch(() => {});
  }

  /** Frees a fragment the service confirmed (or that was skipped). Returns false if it was already gone. */
  async release(seq: number, reason: FreeReason, detail?: string): Promise<boolean> {
    const fragment = this.take(seq);
    if (fragment === undefined) return false;
    this.counters.freed[reason] += 1;
    this.onEvent(detail === undefined ? { type: 'freed', fragment, reason } : { type: 'freed', fragment, reason, detail });
    await this.removeFragmentFile(fragment);
    return true;
  }

  private async removeFragmentFile(fragment: StoredFragment): Promise<void> {
    await this.remove(fragmentFileName(fragment.seq));
    await this.releaseHeaderIfUnused(fragment.headerId);
  }

  /** A failed unlink only leaves a file the next open re-sends (a duplicate, never a loss). */
  private removeInBackground(fragment: StoredFragment): void {
    this.removeFragmentFile(fragment).catch(() => {});
  }

  private async releaseHeaderIfUnused(headerId: string): Promise<void> {
    if (headerId === this.currentHeaderId || (this.headerRefs.get(headerId) ?? 0) > 0) return;
    this.headerRefs.delete(headerId);
    await this.remove(headerFileName(headerId));
  }

  /**
   * Reads a fragment's payload for sending, in chunks of at most `readChunkBytes`. The whole payload's CRC
   * is checked before the first chunk is yielded, so a corrupt fragment never reaches the wire: it is dropped,
   * counted and KVS_FRAGMENT_CORRUPT is thrown. KVS_FRAGMENT_GONE means it was evicted or freed meanwhile.
   * Give each chunk back with releaseChunk() once nothing reads it, so the next fragment reuses its buffer.
   */
  async *readPayload(seq: number): AsyncGenerator<Buffer, void, undefined> {
    const fragment = this.entries.get(seq);
    if (fragment === undefined) throw new KinesisVideoError('KVS_FRAGMENT_GONE', `Fragment ${seq} is no longer in the store.`);
    const name = fragmentFileName(seq);
    try {
      yield* readVerifiedPayload(join(this.dir, name), fragment.bytes, fragment.payloadCrc, this.readChunkBytes, this.readBuffers);
    } catch (error) {
      if (!(error instanceof PayloadReadError)) throw error;
      if (error.kind === 'gone') throw new KinesisVideoError('KVS_FRAGMENT_GONE', `Fragment ${seq} is no longer in the store.`);
      if (this.take(seq) !== undefined) {
        this.counters.corrupt.atRead += 1;
        this.onEvent({ type: 'corrupt', file: name, reason: error.reason, phase: 'read' });
        this.removeInBackground(fragment);
      }
      throw new KinesisVideoError('KVS_FRAGMENT_CORRUPT', `Fragment ${seq} (${name}) is corrupt on disk: ${error.reason}; it was dropped.`);
    }
  }

  /** A chunk from readPayload that nobody reads any more (the socket has written it); its buffer is reused. */
  releaseChunk(chunk: Uint8Array): void {
    this.readBuffers.release(chunk);
  }

  get(seq: number): StoredFragment | undefined {
    return this.entries.get(seq);
  }

  oldest(): StoredFragment | undefined {
    return this.entries.values().next().value;
  }

  newest(): StoredFragment | undefined {
    const oldest = this.oldest();
    if (oldest === undefined) return undefined;
    for (let seq = this.nextSeq - 1; seq > oldest.seq; seq -= 1) {
      const f = this.entries.get(seq);
      if (f !== undefined) return f;
    }
    return oldest;
  }

  /** The first stored fragment with a seq greater than `seq` (pass -1 for the oldest). */
  nextAfter(seq: number): StoredFragment | undefined {
    const oldest = this.oldest();
    if (oldest === undefined) return undefined;
    // Freed fragments leave holes; walking them is a Map lookup each, and holes are at most one ring long.
    for (let s = Math.max(seq + 1, oldest.seq); s < this.nextSeq; s += 1) {
      const f = this.entries.get(s);
      if (f !== undefined) return f;
    }
    return undefined;
  }

  /** Every stored fragment, oldest first. */
  list(): StoredFragment[] {
    return [...this.entries.values()];
  }

  /** The largest seq stored so far (-1 if none); it may have been freed or evicted since. */
  get lastSeq(): number {
    return this.lastInsertedSeq;
  }

  /**
   * Resolves once a fragment with a seq greater than `afterSeq` has been stored (it may be gone again by the
   * time the caller looks: wait again with `lastSeq`, never spin).
   */
  waitForAppend(afterSeq: number, signal?: AbortSignal): Promise<void> {
    if (this.lastInsertedSeq > afterSeq) return Promise.resolve();
    if (this.closed) return Promise.reject(new KinesisVideoError('KVS_SINK_CLOSED', 'The fragment store is closed.'));
    return this.waiters.wait(afterSeq, signal);
  }

  stats(): FragmentStoreStats {
    return {
      fragments: this.entries.size,
      bytes: this.totalBytes,
      durationMs: this.totalDurationMs,
      oldestTimecodeMs: this.oldest()?.fragmentTimecodeMs,
      newestTimecodeMs: this.newest()?.fragmentTimecodeMs,
      appended: this.counters.appended,
      evicted: { ...this.counters.evicted },
      freed: { ...this.counters.freed },
      corrupt: { ...this.counters.corrupt },
      tornAtOpen: this.counters.tornAtOpen,
    };
  }

  /** Stops accepting appends; waiting readers are rejected. Files stay for the next open. */
  async close(): Promise<void> {
    this.closed = true;
    await this.appendChain;
    this.waiters.rejectAll(new KinesisVideoError('KVS_SINK_CLOSED', 'The fragment store is closed.'));
  }

  private assertOpen(): void {
    if (this.closed) throw new KinesisVideoError('KVS_SINK_CLOSED', 'The fragment store is closed.');
  }

  private writeAtomically(name: string, parts: readonly Uint8Array[]): Promise<void> {
    return writeAtomically(this.dir, name, parts, this.fsyncAlways);
  }

  private remove(name: string): Promise<void> {
    return removeFile(this.dir, name);
  }
}
