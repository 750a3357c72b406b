/**
 * An append-only journal: the local ingest target's persistence.
 *
 * Each entry is `u32 length | u32 crc32 | u8 type | payload` (little-endian; length counts the payload,
 * crc covers type and payload). Appends are synchronous `write`s, so once an append returns the entry is
 * in the kernel's page cache and survives SIGKILL of this process; `fsync` decides what survives power loss.
 * On open, the journal is replayed up to the first entry that is torn or fails its checksum; everything
 * from there on is cut off and counted, because with a bad length we cannot find the next entry boundary.
 * Compaction (`rewrite`) writes a fresh journal to a temp file, fsyncs it, and renames it over the old one.
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface JournalEntry {
  readonly type: number;
  readonly payload: Buffer;
}

export interface JournalOptions {
  fsync?: FsyncPolicy;
  /** With fsync 'interval': how often dirty data is fsynced. */
  fsyncIntervalMs?: number;
  /**
   * Return entries as views into one buffer holding the whole file instead of copies. Saves a copy of
   * everything on open when the caller keeps (nearly) all entries alive anyway.
   */
  entryViews?: boolean;
}

export interface OpenedJournal {
  readonly journal: Journal;
  /** Every intact entry, in append order. */
  readonly entries: JournalEntry[];
  /** Bytes cut from the tail because an entry there was torn or corrupt. */
  readonly discardedBytes: number;
}

const HEADER_BYTES = 9;

/**
 * A frame whose payload the caller writes in place (see `Journal.appendFrame`), so a large payload is built
 * once, in its final buffer, instead of being assembled and then copied into a frame.
 */
export interface PreparedFrame {
  readonly frame: Buffer;
  /** `frame` minus the header: write the payload here. */
  readonly payload: Buffer;
}

export function allocFrame(payloadLength: number): PreparedFrame {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadLength);
  return { frame, payload: frame.subarray(HEADER_BYTES) };
}

function seal(type: number, out: Buffer): Buffer {
  out.writeUInt32LE(out.length - HEADER_BYTES, 0);
  out[8] = type;
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

function frame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out[8] = type;
  out.set(payload, HEADER_BYTES);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

function parse(data: Buffer): { entries: JournalEntry[]; validBytes: number } {
  const entries: JournalEntry[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (end > data.length) break;
    if (crc32(data.subarray(at + 8, end)) !== data.readUInt32LE(at + 4)) break;
    entries.push({ type: data[at + 8]!, payload: data.subarray(at + HEADER_BYTES, end) });
    at = end;
  }
  return { entries, validBytes: at };
}

export class Journal {
  private fd: number;
  private size: number;
  private dirty = false;
  /** An interval fsync is running on the thread pool. */
  private syncing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly policy: FsyncPolicy;

  private constructor(
    private readonly path: string,
    fd: number,
    size: number,
    options: JournalOptions,
  ) {
    this.fd = fd;
    this.size = size;
    this.policy = options.fsync ?? 'interval';
    if (this.policy === 'interval') {
      // One coarse timer per journal, not per write.
      this.timer = setInterval(() => this.syncInBackground(), options.fsyncIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  /** Opens (creating if needed) the journal at `path` and returns its intact entries. */
  static open(path: string, options: JournalOptions = {}): OpenedJournal {
    mkdirSync(dirname(path), { recursive: true });
    const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const { entries, validBytes } = parse(data);
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    if (validBytes < data.length) {
      ftruncateSync(fd, validBytes);
      fsyncSync(fd);
    }
    // Entries are views into `data`; copy (unless asked not to) so callers may keep some without pinning the file.
    const owned = options.entryViews ? entries : entries.map((e) => ({ type: e.type, payload: Buffer.from(e.payload) }));
    return { journal: new Journal(path, fd, validBytes, options), entries: owned, discardedBytes: data.length - validBytes };
  }

  get bytes(): number {
    return this.size;
  }

  /** Appends one entry; on return it survives a crash of this process (and power loss with fsync 'always'). */
  append(type: number, payload: Uint8Array): void {
    this.writeAll(frame(type, payload));
  }

  /** Appends a frame from `allocFrame` whose payload the caller has filled; one write, no copy. */
  appendFrame(type: number, prepared: PreparedFrame): void {
    this.writeAll(seal(type, prepared.frame));
  }

  /** Appends several entries with one write. */
  appendMany(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    this.writeAll(Buffer.concat(entries.map((e) => frame(e.type, e.payload))));
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.size + off);
    this.size += buf.length;
    if (this.policy === 'always') fdatasyncSync(this.fd);
    else this.dirty = true;
  }

  /** Replaces the journal's content with `entries` atomically (temp file, fsync, rename). */
  rewrite(entries: Iterable<JournalEntry>): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    // One frame at a time: a compaction of a large journal must not need a second copy of it in memory.
    let at = 0;
    for (const e of entries) {
      const buf = frame(e.type, e.payload);
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, at + off);
      at += buf.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'r+');
    this.size = statSync(this.path).size;
    this.dirty = false;
    fsyncDir(dirname(this.path));
  }

  /**
   * The interval fsync, on libuv's thread pool: flushing a second's worth of appends can take tens of
   * milliseconds, which would otherwise stall every request behind it. (An fsync that lands after `close` or
   * `rewrite` reopened the fd is harmless: at worst it flushes some other file.)
   */
  private syncInBackground(): void {
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      if (err) this.dirty = true; // try again at the next tick of the interval
    });
  }

  /** Flushes appends to stable storage now, synchronously. */
  sync(): void {
    if (!this.dirty) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.sync();
    closeSync(this.fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
