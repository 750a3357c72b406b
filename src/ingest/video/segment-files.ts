/**
 * A stream's fragment bytes on disk: Cluster elements appended to segment files
 * (`clusters-00000001.bin`, rolled at `maxSegmentBytes`), each append fdatasynced before it is reported
 * done, so PERSISTED means on disk. Retention deletes whole segment files once no live fragment is in
 * them; fragments are never rewritten.
 */
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskLocation {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

const NAME = /^clusters-(\d{8})\.bin$/;
const fileName = (segment: number): string => `clusters-${String(segment).padStart(8, '0')}.bin`;

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export class SegmentFiles {
  /** Sizes of the segment files that exist, by number. */
  private readonly sizes = new Map<number, number>();
  private current: { segment: number; handle: FileHandle } | undefined;

  private constructor(
    private readonly dir: string,
    private readonly maxSegmentBytes: number,
  ) {}

  static open(dir: string, maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES): SegmentFiles {
    mkdirSync(dir, { recursive: true });
    const files = new SegmentFiles(dir, maxSegmentBytes);
    for (const name of readdirSync(dir)) {
      const m = NAME.exec(name);
      if (m) files.sizes.set(Number(m[1]), statSync(join(dir, name)).size);
    }
    return files;
  }

  /** Bytes in `segment`'s file, undefined if it does not exist. */
  sizeOf(segment: number): number | undefined {
    return this.sizes.get(segment);
  }

  /**
   * Appends `bytes` (callers serialize appends) and fdatasyncs. A new process always starts a new segment,
   * so a torn tail left by a crash is never appended after.
   */
  async append(bytes: Uint8Array): Promise<DiskLocation> {
    let cur = this.current;
    if (cur === undefined || this.sizes.get(cur.segment)! >= this.maxSegmentBytes) {
      if (cur !== undefined) await cur.handle.close();
      const segment = Math.max(0, ...this.sizes.keys()) + 1;
      cur = this.current = { segment, handle: await open(join(this.dir, fileName(segment)), 'w') };
      this.sizes.set(segment, 0);
    }
    const offset = this.sizes.get(cur.segment)!;
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await cur.handle.write(bytes, written, bytes.length - written, offset + written);
      written += bytesWritten;
    }
    await cur.handle.datasync();
    this.sizes.set(cur.segment, offset + bytes.length);
    return { segment: cur.segment, offset, length: bytes.length };
  }

  async read(loc: DiskLocation): Promise<Buffer> {
    const handle = await open(join(this.dir, fileName(loc.segment)), 'r');
    try {
      const out = Buffer.allocUnsafe(loc.length);
      let read = 0;
      while (read < loc.length) {
        const { bytesRead } = await handle.read(out, read, loc.length - read, loc.offset + read);
        if (bytesRead === 0) throw new Error(`segment ${fileName(loc.segment)} ends before byte ${loc.offset + loc.length}`);
        read += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  /** Deletes every segment file numbered below `segment`, except the one being appended to. */
  deleteBefore(segment: number): void {
    for (const s of [...this.sizes.keys()]) {
      if (s >= segment || s === this.current?.segment) continue;
      unlinkSync(join(this.dir, fileName(s)));
      this.sizes.delete(s);
    }
  }

  async close(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    await cur?.handle.close();
  }
}
