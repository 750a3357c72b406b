/**
 * The disk spool's tail cache (SPEC.md §9.2): a scan that keeps up with the writer is served from the
 * frames just written, not read back from the segment file; only accepted entries are served; and a
 * reader that fell behind reads from disk, then from memory, each entry once. Real files; the
 * filesystem port is wrapped to count reads and to hold fdatasyncs at a gate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSpoolIo, openDiskSpool, type DiskSpoolOptions, type Spool, type SpoolIo } from '../../src/spool/index.js';
import { payload, range, TempDirs, turns } from '../unit/spool/helpers.js';

const dirs = new TempDirs();
const open: Spool[] = [];

afterEach(async () => {
  for (const spool of open.splice(0)) await spool.close().catch(() => undefined);
  dirs.cleanup();
});

function countingIo(): { io: SpoolIo; reads: () => number; holdSyncs: () => () => void } {
  let reads = 0;
  let gate: Promise<void> | undefined;
  const io: SpoolIo = {
    ...nodeSpoolIo,
    read: (fd, into, length, position) => {
      reads += 1;
      return nodeSpoolIo.read(fd, into, length, position);
    },
    fdatasync: async (fd) => {
      if (gate !== undefined) await gate;
      return nodeSpoolIo.fdatasync(fd);
    },
  };
  const holdSyncs = (): (() => void) => {
    let release!: () => void;
    gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      gate = undefined;
      release();
    };
  };
  return { io, reads: () => reads, holdSyncs };
}

async function make(options: Partial<DiskSpoolOptions>): Promise<Spool> {
  const spool = await openDiskSpool({ dir: dirs.make(), ...options });
  open.push(spool);
  return spool;
}

/** Scans everything from `from` in pages; returns [seq, label] pairs. */
async function scanAll(spool: Spool, from: number, maxEntries: number): Promise<Array<[number, string]>> {
  const seen: Array<[number, string]> = [];
  let next = from;
  for (;;) {
    const before = seen.length;
    next = await spool.scan(next, { maxEntries }, (seq, buf, start, end) => seen.push([seq, buf.toString('latin1', start, end).replace(/\.+$/, '')]));
    if (seen.length === before) return seen;
  }
}

describe('disk spool tail cache', () => {
  it('serves a scan that keeps up from the frames just written, with no read from the segment file', async () => {
    for (const [tailCacheBytes, expectReads] of [
      [4 * 1024 * 1024, false],
      [0, true],
    ] as const) {
      const { io, reads } = countingIo();
      const spool = await make({ io, fsync: 'never', tailCacheBytes });
      await spool.append(range(1, 100).map((i) => payload(i)));
      expect(await scanAll(spool, 1, 30)).toEqual(range(1, 100).map((i) => [i, `entry-${i}`]));
      expect(reads() > 0).toBe(expectReads);
    }
  });

  it("under fsync 'always', serves an entry only once the fsync covering it has completed", async () => {
    const { io, holdSyncs } = countingIo();
    const spool = await make({ io, fsync: 'always' });
    await spool.append(payload(1));
    const release = holdSyncs();
    const pending = spool.append(payload(2));
    await turns(20);
    expect(await scanAll(spool, 1, 10)).toEqual([[1, 'entry-1']]);
    release();
    await pending;
    expect(await scanAll(spool, 2, 10)).toEqual([[2, 'entry-2']]);
  });

  it('lets a reader that fell behind read from disk, then from memory, every entry once and in order', async () => {
    const { io, reads } = countingIo();
    // 400 bytes hold about three 100-byte entries with their headers: the reader is soon behind.
    const spool = await make({ io, fsync: 'never', tailCacheBytes: 400, maxSegmentBytes: 2048 });
    for (let i = 1; i <= 60; i += 5) await spool.append(range(i, i + 4).map((n) => payload(n)));
    const seen = await scanAll(spool, 1, 4);
    expect(seen).toEqual(range(1, 60).map((i) => [i, `entry-${i}`]));
    expect(reads()).toBeGreaterThan(0);
    // Acknowledged entries are not served again, from memory or disk.
    spool.ack(1, 58);
    expect(await scanAll(spool, 1, 10)).toEqual([
      [59, 'entry-59'],
      [60, 'entry-60'],
    ]);
  });
});
