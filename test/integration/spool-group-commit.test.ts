/**
 * Fsync policies and I/O failures of the disk spool (SPEC.md §6.2, §9.4). The filesystem port is
 * wrapped to count fdatasyncs, to hold one open (a gate, not a timer), or to fail a call; the files and
 * the fsyncs themselves are real.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readHeader, ENTRY_HEADER_BYTES } from '../../src/spool/entry-codec.js';
import { nodeSpoolIo, openDiskSpool, type DiskSpoolOptions, type Spool, type SpoolIo } from '../../src/spool/index.js';
import { ENTRY_HEADER, payload, range, readAll, seqsOf, TempDirs, track, turns } from '../unit/spool/helpers.js';

const dirs = new TempDirs();
const open: Spool[] = [];

async function openAt(dir: string, options: Partial<DiskSpoolOptions> = {}): Promise<Spool> {
  const spool = await openDiskSpool({ ...options, dir });
  open.push(spool);
  return spool;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const spool of open.splice(0)) await spool.close().catch(() => undefined);
  dirs.cleanup();
});

/** The highest seq among the entry frames in a write (ledger writes hold none). */
function maxSeqIn(chunks: readonly Uint8Array[]): number {
  let max = 0;
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    for (let header = readHeader(buf, at); header !== undefined; header = readHeader(buf, at)) {
      max = Math.max(max, header.seq);
      at += ENTRY_HEADER_BYTES + header.length;
    }
  }
  return max;
}

/** A port that records what each fdatasync covers and can hold fdatasyncs at a gate. */
function observedIo() {
  const state = {
    fdatasyncs: 0,
    writtenThrough: 0,
    durableThrough: 0,
    gate: undefined as Promise<void> | undefined,
  };
  const io: SpoolIo = {
    ...nodeSpoolIo,
    write: (fd, chunks, position) => {
      nodeSpoolIo.write(fd, chunks, position);
      state.writtenThrough = Math.max(state.writtenThrough, maxSeqIn(chunks));
    },
    fdatasync: async (fd) => {
      state.fdatasyncs += 1;
      const covers = state.writtenThrough; // only what was written before this fdatasync started
      if (state.gate) await state.gate;
      await nodeSpoolIo.fdatasync(fd);
      state.durableThrough = Math.max(state.durableThrough, covers);
    },
  };
  return { io, state };
}

describe("fsync 'always' (group commit)", () => {
  it('covers every append that arrived while the previous fdatasync ran with one more fdatasync, never one per record', async () => {
    const { io, state } = observedIo();
    let release!: () => void;
    state.gate = new Promise((resolve) => (release = resolve));
    const spool = await openAt(dirs.make(), { io, fsync: 'always' });

    const WAVES = 50;
    const PER_WAVE = 20;
    const resolvedEarly: number[] = [];
    const appends: Promise<number>[] = [];
    for (let wave = 0; wave < WAVES; wave += 1) {
      for (let i = 0; i < PER_WAVE; i += 1) {
        const pending = spool.append(payload(wave * PER_WAVE + i, 200));
        pending.then((seq) => {
          if (seq > state.durableThrough) resolvedEarly.push(seq);
        });
        appends.push(pending);
      }
      await new Promise<void>((resolve) => setImmediate(resolve)); // the next wave arrives in a later turn
    }
    // The first wave's fdatasync is still held: every later wave was written and waits for the next one.
    expect(state.fdatasyncs).toBe(1);
    expect(state.writtenThrough).toBe(WAVES * PER_WAVE);
    release();
    const seqs = await Promise.all(appends);

    expect(seqs).toEqual(range(1, WAVES * PER_WAVE));
    expect(state.fdatasyncs).toBe(2);
    expect(spool.stats().fdatasyncs).toBe(2);
    expect(resolvedEarly).toEqual([]);
  });

  it('makes at most one fdatasync per event-loop turn of appends, and none resolves before an fdatasync covering it', async () => {
    const { io, state } = observedIo();
    const spool = await openAt(dirs.make(), { io, fsync: 'always' });
    const TURNS = 40;
    const PER_TURN = 25;
    const resolvedEarly: number[] = [];
    const appends: Promise<number>[] = [];
    for (let turn = 0; turn < TURNS; turn += 1) {
      for (let i = 0; i < PER_TURN; i += 1) {
        const pending = spool.append(payload(i, 200));
        pending.then((seq) => {
          if (seq > state.durableThrough) resolvedEarly.push(seq);
        });
        appends.push(pending);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(appends);
    expect(resolvedEarly).toEqual([]);
    expect(state.fdatasyncs).toBeLessThanOrEqual(TURNS);
    expect(state.fdatasyncs).toBeLessThan((TURNS * PER_TURN) / 10);
  });

  it('makes entries readable only once the fdatasync covering them has completed', async () => {
    const { io, state } = observedIo();
    let release!: () => void;
    state.gate = new Promise((resolve) => (release = resolve));
    const spool = await openAt(dirs.make(), { io, fsync: 'always' });
    const append = track(spool.append(payload(1)));
    const waiting = track(spool.waitForEntries(1));
    await turns();
    expect(append.settled).toBe(false);
    expect((await spool.read(1)).entries).toEqual([]);
    expect(waiting.settled).toBe(false);
    release();
    expect(await append.promise).toBe(1);
    expect(await waiting.promise).toBe(true);
    expect(seqsOf((await spool.read(1)).entries)).toEqual([1]);
  });
});

describe("fsync 'interval' and 'never'", () => {
  it("'interval' accepts appends once written and fsyncs them with one timer tick", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { io, state } = observedIo();
    const spool = await openAt(dirs.make(), { io, fsync: 'interval', fsyncIntervalMs: 1000 });
    await Promise.all(range(1, 100).map((i) => spool.append(payload(i))));
    expect(state.fdatasyncs).toBe(0);
    expect((await readAll(spool)).length).toBe(100);
    vi.advanceTimersByTime(1000);
    expect(state.fdatasyncs).toBe(1);
    await spool.sync();
    expect(state.durableThrough).toBe(100);
  });

  it("'never' accepts appends without any fdatasync; sync() makes one", async () => {
    const { io, state } = observedIo();
    const spool = await openAt(dirs.make(), { io, fsync: 'never' });
    await Promise.all(range(1, 100).map((i) => spool.append(payload(i))));
    expect(state.fdatasyncs).toBe(0);
    await spool.sync();
    expect(state.fdatasyncs).toBe(1);
    expect(state.durableThrough).toBe(100);
  });
});

describe('I/O failures', () => {
  function enospc(): Error {
    return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }

  it('a failed write (ENOSPC) fails only its append, leaves no partial entry behind, and the spool keeps working', async () => {
    let failNext = false;
    const io: SpoolIo = {
      ...nodeSpoolIo,
      write: (fd, chunks, position) => {
        if (!failNext) return nodeSpoolIo.write(fd, chunks, position);
        failNext = false;
        const all = Buffer.concat(chunks as Uint8Array[]);
        nodeSpoolIo.write(fd, [all.subarray(0, all.length >> 1)], position); // half of it lands
        throw enospc();
      },
    };
    const dir = dirs.make();
    const spool = await openAt(dir, { io });
    await spool.append(range(1, 3).map((i) => payload(i)));
    failNext = true;
    const error = await spool.append(payload(4)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOOL_IO', cause: { code: 'ENOSPC' } });
    expect((error as Error).message).toContain('Free disk space');
    expect(spool.stats()).toMatchObject({ nextSeq: 4, bytes: 3 * (ENTRY_HEADER + 100) });
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
    expect(statSync(segment).size).toBe(3 * (ENTRY_HEADER + 100));
    expect(await spool.append(payload(5))).toBe(4);
    await spool.close();

    const reopened = await openAt(dir);
    expect(reopened.stats()).toMatchObject({ tornBytesTruncated: 0 });
    expect(seqsOf(await readAll(reopened))).toEqual([1, 2, 3, 4]);
    expect(reopened.stats().corruptEntriesSkipped).toBe(0);
  });

  it('a failed write in a batch that started a new segment removes that segment again', async () => {
    let writes = 0;
    let failAt = -1;
    const io: SpoolIo = {
      ...nodeSpoolIo,
      write: (fd, chunks, position) => {
        writes += 1;
        if (writes === failAt) throw enospc();
        nodeSpoolIo.write(fd, chunks, position);
      },
    };
    const dir = dirs.make();
    const spool = await openAt(dir, { io, maxSegmentBytes: 1024, maxBytes: 4096 });
    await spool.append(range(1, 6).map((i) => payload(i)));
    failAt = writes + 2; // the batch below writes the old segment, then the new one, which fails
    await expect(spool.append(range(7, 10).map((i) => payload(i)))).rejects.toMatchObject({ code: 'SPOOL_IO' });
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toHaveLength(1);
    expect(spool.stats()).toMatchObject({ nextSeq: 7, segments: 1, bytes: 6 * (ENTRY_HEADER + 100) });
    expect(await spool.append(range(7, 10).map((i) => payload(i)))).toEqual([7, 8, 9, 10]);
    expect(seqsOf(await readAll(spool))).toEqual(range(1, 10));
  });

  it('a failed fdatasync fails the waiting appends and every later one with SPOOL_IO, and reports it', async () => {
    let failSync = false;
    const errors: Error[] = [];
    const io: SpoolIo = {
      ...nodeSpoolIo,
      fdatasync: async (fd) => {
        if (failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        return nodeSpoolIo.fdatasync(fd);
      },
    };
    const dir = dirs.make();
    const spool = await openAt(dir, { io, onError: (e) => errors.push(e) });
    await spool.append(payload(1));
    failSync = true;
    await expect(spool.append(payload(2))).rejects.toMatchObject({ code: 'SPOOL_IO', cause: { code: 'EIO' } });
    failSync = false;
    await expect(spool.append(payload(3))).rejects.toMatchObject({ code: 'SPOOL_IO' });
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['SPOOL_IO']);
    await spool.close();

    // Reopening recovers from what is on disk; an entry whose append failed may come back (a duplicate, never a loss).
    const reopened = await openAt(dir);
    expect(seqsOf(await readAll(reopened)).slice(0, 1)).toEqual([1]);
    expect(await reopened.append(payload(4))).toBeGreaterThan(1);
  });
});
