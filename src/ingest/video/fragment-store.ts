/**
 * One stream's fragments: the session headers, the fragment index (number, timestamps, duration, where
 * the bytes are) and the bytes themselves, on disk (segment files plus an index journal under the
 * stream's directory) or in memory.
 *
 * A fragment is appended once it is complete (RECEIVED); `append` resolves once it is durable, which is
 * when PERSISTED goes out. Streams with retention 0 keep fragments in memory only, as the service's host
 * buffer does (5 minutes / 200 MB), and never report them persisted. Trimming works from the oldest
 * fragment on: by retention for persisted ones, by the host-buffer bounds for the others, and by the
 * memory cap in memory mode. Readers waiting for live data are woken on every append.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../store/journal.js';
import { formatFragmentNumber, nextSequence } from './fragment-number.js';
import { HOST_BUFFER_BYTES, HOST_BUFFER_MS } from './limits.js';
import { SegmentFiles, type DiskLocation } from './segment-files.js';
import { decodeHeaderEntry, describeHeader, encodeHeaderEntry, sameHeaderBytes, type HeaderParts, type StoredHeader } from './stream-header.js';

export type FragmentLocation = DiskLocation | { readonly bytes: Buffer };

export interface FragmentRecord {
  /** 47-digit decimal string. */
  readonly number: string;
  /** 1, 2, 3, ... per stream, without gaps: HLS media sequence numbers. */
  readonly ordinal: number;
  readonly sequence: number;
  readonly headerId: number;
  /** The cluster Timecode as the producer sent it, in TimecodeScale units. */
  readonly fragmentTimecode: number;
  readonly producerTimestampMs: number;
  readonly serverTimestampMs: number;
  readonly durationMs: number;
  /** Bytes of the stored Cluster element. */
  readonly sizeBytes: number;
  readonly frameCount: number;
  /** False: held in the host buffer only (retention 0); no PERSISTED was sent. */
  readonly persisted: boolean;
  readonly location: FragmentLocation;
}

export interface NewFragment {
  readonly number: string;
  readonly sequence: number;
  readonly headerId: number;
  readonly fragmentTimecode: number;
  readonly producerTimestampMs: number;
  readonly serverTimestampMs: number;
  readonly durationMs: number;
  readonly frameCount: number;
  /** The whole Cluster element (known size). */
  readonly cluster: Buffer;
}

export interface FragmentStoreOptions {
  /** Directory of this stream; undefined: memory only. */
  readonly dir: string | undefined;
  readonly streamCreationMs: number;
  /** Memory mode: bytes of fragments held before the oldest are dropped. */
  readonly memoryLimitBytes: number;
  /** Size at which a new segment file is started (default 64 MiB). */
  readonly segmentBytes?: number;
}

const HEADER = 1;
const FRAGMENT = 2;
const COUNTERS = 3;
/** Rewrite the index journal once this many of its entries are dead (and they outnumber the live ones). */
const COMPACT_AFTER_DEAD_ENTRIES = 4096;

type FragmentEntry = Omit<FragmentRecord, 'location' | 'persisted'> & { readonly location: DiskLocation };

export class FragmentStore {
  private readonly headers = new Map<number, StoredHeader>();
  /** Live fragments, oldest first, from index `head` on. */
  private records: FragmentRecord[] = [];
  private head = 0;
  private readonly byNumber = new Map<string, FragmentRecord>();
  private lastSequence = 0;
  private lastOrdinal = 0;
  private memoryBytes = 0;
  private deadEntries = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly options: FragmentStoreOptions,
    private readonly journal: Journal | undefined,
    private readonly segments: SegmentFiles | undefined,
  ) {}

  static open(options: FragmentStoreOptions): FragmentStore {
    if (options.dir === undefined) return new FragmentStore(options, undefined, undefined);
    const segments = SegmentFiles.open(options.dir, options.segmentBytes);
    const { journal, entries, discardedBytes } = Journal.open(join(options.dir, 'index.journal'), { fsync: 'always' });
    const store = new FragmentStore(options, journal, segments);
    store.replay(entries);
    if (discardedBytes > 0 || store.deadEntries > 0) store.compact();
    return store;
  }

  private replay(entries: readonly { type: number; payload: Buffer }[]): void {
    for (const e of entries) {
      if (e.type === HEADER) {
        const h = decodeHeaderEntry(e.payload);
        this.headers.set(h.id, h);
      } else if (e.type === COUNTERS) {
        const c = JSON.parse(e.payload.toString('utf8')) as { sequence: number; ordinal: number };
        this.lastSequence = Math.max(this.lastSequence, c.sequence);
        this.lastOrdinal = Math.max(this.lastOrdinal, c.ordinal);
      } else if (e.type === FRAGMENT) {
        const f = JSON.parse(e.payload.toString('utf8')) as FragmentEntry;
        this.lastSequence = Math.max(this.lastSequence, f.sequence);
        this.lastOrdinal = Math.max(this.lastOrdinal, f.ordinal);
        const size = this.segments!.sizeOf(f.location.segment);
        // Bytes that never reached the disk (torn by a crash) or a segment already trimmed: not a fragment.
        if (size === undefined || f.location.offset + f.location.length > size || !this.headers.has(f.headerId)) {
          this.deadEntries++;
          continue;
        }
        this.push({ ...f, persisted: true });
      }
    }
  }

  /** Registers a session's header (an identical one is reused) and returns it with its id. */
  addHeader(parts: HeaderParts): StoredHeader {
    for (const h of this.headers.values()) if (sameHeaderBytes(h, parts)) return h;
    const id = Math.max(0, ...this.headers.keys()) + 1;
    const header = describeHeader(id, parts);
    this.journal?.append(HEADER, encodeHeaderEntry(header));
    this.headers.set(id, header);
    return header;
  }

  header(id: number): StoredHeader | undefined {
    return this.headers.get(id);
  }

  /** Assigns the next fragment number (at BUFFERING, so ACKs can name it before the fragment is complete). */
  assignNumber(nowMs: number): { number: string; sequence: number } {
    this.lastSequence = nextSequence(this.lastSequence, nowMs);
    return { number: formatFragmentNumber(this.options.streamCreationMs, this.lastSequence), sequence: this.lastSequence };
  }

  /**
   * Stores a complete fragment; resolves once it is durable (persist) or held (host buffer). Appends are
   * serialized, so fragments keep their order.
   */
  append(fragment: NewFragment, persist: boolean): Promise<FragmentRecord> {
    const run = this.tail.then(() => this.store(fragment, persist));
    this.tail = run.catch(() => {});
    return run;
  }

  private async store(f: NewFragment, persist: boolean): Promise<FragmentRecord> {
    if (this.closed) throw new Error('the fragment store is closed');
    const { cluster, ...meta } = f;
    const ordinal = this.lastOrdinal + 1;
    const onDisk = persist && this.segments !== undefined;
    const location: FragmentLocation = onDisk ? await this.segments!.append(cluster) : { bytes: cluster };
    if (this.closed) throw new Error('the fragment store closed during the write');
    const record: FragmentRecord = { ...meta, ordinal, sizeBytes: cluster.length, persisted: persist, location };
    if (onDisk) this.journal!.append(FRAGMENT, Buffer.from(JSON.stringify(entryOf(record))));
    this.lastOrdinal = ordinal;
    this.push(record);
    this.wake();
    return record;
  }

  private push(record: FragmentRecord): void {
    this.records.push(record);
    this.byNumber.set(record.number, record);
    if ('bytes' in record.location) this.memoryBytes += record.location.bytes.length;
  }

  /** Live fragments, oldest first. The array is the store's: do not modify it. */
  fragments(): readonly FragmentRecord[] {
    if (this.head > 0) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return this.records;
  }

  get(number: string): FragmentRecord | undefined {
    return this.byNumber.get(number);
  }

  get newest(): FragmentRecord | undefined {
    return this.records.length > this.head ? this.records[this.records.length - 1] : undefined;
  }

  get oldest(): FragmentRecord | undefined {
    return this.records[this.head];
  }

  /** The Cluster element of a fragment. Rejects if it was trimmed off the disk meanwhile. */
  async read(record: FragmentRecord): Promise<Buffer> {
    if ('bytes' in record.location) return record.location.bytes;
    if (this.segments === undefined) throw new Error('no segment files in memory mode');
    return this.segments.read(record.location);
  }

  /** Drops fragments past retention (persisted), past the host buffer (not persisted) or over the memory cap. */
  trim(nowMs: number, retentionHours: number): void {
    const retentionMs = retentionHours * 3_600_000;
    let dropped = false;
    while (this.head < this.records.length) {
      const r = this.records[this.head]!;
      const inMemory = 'bytes' in r.location;
      const expired = r.persisted ? retentionHours === 0 || nowMs - r.serverTimestampMs > retentionMs : nowMs - r.serverTimestampMs > HOST_BUFFER_MS;
      const memoryCap = r.persisted ? this.options.memoryLimitBytes : HOST_BUFFER_BYTES;
      if (!expired && !(inMemory && this.memoryBytes > memoryCap)) break;
      this.head++;
      this.byNumber.delete(r.number);
      if (inMemory) this.memoryBytes -= (r.location as { bytes: Buffer }).bytes.length;
      else this.deadEntries++;
      dropped = true;
    }
    if (!dropped || this.segments === undefined) return;
    const firstOnDisk = this.records.slice(this.head).find((r) => !('bytes' in r.location));
    this.segments.deleteBefore(firstOnDisk === undefined ? Number.MAX_SAFE_INTEGER : (firstOnDisk.location as DiskLocation).segment);
    const live = this.records.length - this.head;
    if (this.deadEntries >= COMPACT_AFTER_DEAD_ENTRIES && this.deadEntries > live) this.compact();
  }

  /** Rewrites the index journal with the live fragments, the headers they use and the counters. */
  private compact(): void {
    if (this.journal === undefined) return;
    const live = this.records.slice(this.head).filter((r) => !('bytes' in r.location));
    const used = new Set(live.map((r) => r.headerId));
    const newestHeader = Math.max(0, ...this.headers.keys());
    const entries: { type: number; payload: Buffer }[] = [];
    // The newest header stays even if unused: a session may be about to append with it.
    for (const h of this.headers.values()) if (used.has(h.id) || h.id === newestHeader) entries.push({ type: HEADER, payload: encodeHeaderEntry(h) });
    entries.push({ type: COUNTERS, payload: Buffer.from(JSON.stringify({ sequence: this.lastSequence, ordinal: this.lastOrdinal })) });
    for (const r of live) entries.push({ type: FRAGMENT, payload: Buffer.from(JSON.stringify(entryOf(r))) });
    this.journal.rewrite(entries);
    this.deadEntries = 0;
  }

  /** Resolves on the next append, or when the store closes, or when `signal` aborts. */
  waitForAppend(signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits for appends in progress, then closes the files and wakes every waiting reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    this.wake();
    this.journal?.close();
    await this.segments?.close();
  }

  /** Closes and deletes the stream's directory (DeleteStream). */
  async destroy(): Promise<void> {
    await this.close();
    if (this.options.dir !== undefined) rmSync(this.options.dir, { recursive: true, force: true });
  }
}

function entryOf(r: FragmentRecord): FragmentEntry {
  const { persisted: _persisted, ...rest } = r;
  return rest as FragmentEntry;
}
