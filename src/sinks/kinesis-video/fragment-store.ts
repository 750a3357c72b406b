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
 * header (with its own CRC) and length are checked, and bad files are deleted and counted. Payload CRCs are
 * checked when a fragment is read for sending (reading every payload at boot would cost minutes on an SD
 * card with a full ring); a payload that fails is dropped and counted before any byte of it is sent.
 *
 * Memory: only per-fragment metadata (~100 bytes each) is kept; payloads are read in chunks when sent.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { KinesisVideoError } from './errors.js';
import {
  FRAGMENT_FILE_PATTERN,
  FRAGMENT_HEADER_BYTES,
  HEADER_FILE_PATTERN,
  decodeFragmentHeader,
  decodeStreamHeaderFile,
  encodeFragmentHeader,
  encodeStreamHeaderFile,
  fragmentFileName,
  headerFileName,
  streamHeaderId,
} from './fragment-file.js';

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

interface Waiter {
  readonly afterSeq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

export class FragmentStore {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxDurationMs: number;
  private readonly fsyncAlways: boolean;
  private readonly readChunkBytes: number;
  private readonly onEvent: (event: FragmentStoreEvent) => void;
  /** Insertion order is seq order: appends only ever add a larger seq. */
  private readonly entries = new Map<number, StoredFragment>();
  private readonly headerRefs = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
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
    const names = (await readdir(this.dir)).sort();
    const headers = new Set<string>();
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        this.counters.tornAtOpen += 1;
        await this.remove(name);
        continue;
      }
      const h = HEADER_FILE_PATTERN.exec(name);
      if (h === null) continue;
      const decoded = decodeStreamHeaderFile(await readFile(join(this.dir, name)));
      if (Buffer.isBuffer(decoded) && streamHeaderId(decoded) === h[1]) headers.add(h[1]!);
      else await this.dropAtOpen(name, Buffer.isBuffer(decoded) ? 'header id does not match its bytes' : decoded.invalid);
    }
    for (const name of names) {
      const m = FRAGMENT_FILE_PATTERN.exec(name);
      if (m === null) continue;
      const problem = await this.loadFragment(name, parseInt(m[1]!, 16), headers);
      if (problem !== undefined) await this.dropAtOpen(name, problem);
    }
    for (const id of headers) if (!this.headerRefs.has(id)) await this.remove(headerFileName(id));
    // The bounds may have shrunk since the last run.
    await this.removeEvicted(this.evictFor(0, 0));
  }

  private async loadFragment(name: string, seqFromName: number, headers: ReadonlySet<string>): Promise<string | undefined> {
    const fh = await open(join(this.dir, name), 'r');
    try {
      const head = Buffer.alloc(FRAGMENT_HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, FRAGMENT_HEADER_BYTES, 0);
      const decoded = decodeFragmentHeader(head.subarray(0, bytesRead));
      if ('invalid' in decoded) return decoded.invalid;
      if (decoded.seq !== seqFromName) return `file name says seq ${seqFromName}, header says ${decoded.seq}`;
      const { size } = await fh.stat();
      if (size !== FRAGMENT_HEADER_BYTES + decoded.payloadBytes) return `length ${size} does not match the header (torn write)`;
      if (!headers.has(decoded.headerId)) return `its stream header ${decoded.headerId} is missing`;
      this.insert({
        seq: decoded.seq,
        fragmentTimecodeMs: decoded.fragmentTimecodeMs,
        durationMs: decoded.durationMs,
        keyframe: decoded.keyframe,
        bytes: decoded.payloadBytes,
        headerId: decoded.headerId,
        payloadCrc: decoded.payloadCrc,
      });
      this.nextSeq = Math.max(this.nextSeq, decoded.seq + 1);
      return undefined;
    } finally {
      await fh.close();
    }
  }

  private async dropAtOpen(name: string, reason: string): Promise<void> {
    this.counters.corrupt.atOpen += 1;
    this.onEvent({ type: 'corrupt', file: name, reason, phase: 'open' });
    await this.remove(name);
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
    for (const waiter of this.waiters) {
      if (fragment.seq > waiter.afterSeq) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
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
   */
  async *readPayload(seq: number): AsyncGenerator<Buffer, void, undefined> {
    const fragment = this.entries.get(seq);
    if (fragment === undefined) throw new KinesisVideoError('KVS_FRAGMENT_GONE', `Fragment ${seq} is no longer in the store.`);
    const name = fragmentFileName(seq);
    let fh;
    try {
      fh = await open(join(this.dir, name), 'r');
    } catch (error) {
      if (isNotFound(error)) throw new KinesisVideoError('KVS_FRAGMENT_GONE', `Fragment ${seq} is no longer in the store.`);
      throw error;
    }
    try {
      const first = Buffer.allocUnsafe(Math.min(this.readChunkBytes, fragment.bytes));
      let crc = 0;
      let position = FRAGMENT_HEADER_BYTES;
      let verified = 0;
      let whole: Buffer | undefined;
      while (verified < fragment.bytes) {
        const want = Math.min(first.length, fragment.bytes - verified);
        const { bytesRead } = await fh.read(first, 0, want, position);
        if (bytesRead === 0) break;
        crc = crc32(first.subarray(0, bytesRead), crc);
        if (verified === 0 && bytesRead === fragment.bytes) whole = first.subarray(0, bytesRead);
        verified += bytesRead;
        position += bytesRead;
      }
      if (verified !== fragment.bytes || crc !== fragment.payloadCrc) {
        const reason = verified !== fragment.bytes ? 'payload shorter than recorded' : 'payload checksum mismatch';
        if (this.take(seq) !== undefined) {
          this.counters.corrupt.atRead += 1;
          this.onEvent({ type: 'corrupt', file: name, reason, phase: 'read' });
          this.removeInBackground(fragment);
        }
        throw new KinesisVideoError('KVS_FRAGMENT_CORRUPT', `Fragment ${seq} (${name}) is corrupt on disk: ${reason}; it was dropped.`);
      }
      if (whole !== undefined) {
        // Small fragment: the verification read already holds all of it.
        yield whole;
        return;
      }
      position = FRAGMENT_HEADER_BYTES;
      let sent = 0;
      while (sent < fragment.bytes) {
        // A fresh buffer per chunk: the socket may still hold the previous one.
        const chunk = Buffer.allocUnsafe(Math.min(this.readChunkBytes, fragment.bytes - sent));
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) throw new KinesisVideoError('KVS_FRAGMENT_CORRUPT', `Fragment ${seq} shrank while being read.`);
        sent += bytesRead;
        position += bytesRead;
        yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
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
    const error = new KinesisVideoError('KVS_SINK_CLOSED', 'The fragment store is closed.');
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new KinesisVideoError('KVS_SINK_CLOSED', 'The fragment store is closed.');
  }

  private async writeAtomically(name: string, parts: readonly Uint8Array[]): Promise<void> {
    const final = join(this.dir, name);
    const temp = `${final}.tmp`;
    const fh = await open(temp, 'w');
    try {
      for (const part of parts) {
        // FileHandle.write may write less than asked (e.g. near a full disk); finish or fail loudly.
        for (let done = 0; done < part.length; ) done += (await fh.write(part, done, part.length - done)).bytesWritten;
      }
      if (this.fsyncAlways) await fh.sync();
    } catch (error) {
      await fh.close().catch(() => {});
      await this.remove(`${name}.tmp`).catch(() => {});
      throw error;
    }
    await fh.close();
    await rename(temp, final);
    if (this.fsyncAlways) {
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  }

  private async remove(name: string): Promise<void> {
    try {
      await unlink(join(this.dir, name));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
