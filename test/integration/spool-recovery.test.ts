/**
 * Recovery of the disk spool from unclean stops and damaged files (SPEC.md §4.1, §8), against real
 * segment files: bytes are flipped, cut and deleted on disk, then the directory is reopened.
 */
import { copyFileSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeSpoolIo, openDiskSpool, type DiskSpoolOptions, type Spool, type SpoolDropEvent } from '../../src/spool/index.js';
import { abandonDirectory, ENTRY_HEADER, label, payload, range, readAll, seqsOf, TempDirs } from '../unit/spool/helpers.js';

const PAYLOAD = 100;
const FRAMED = ENTRY_HEADER + PAYLOAD;
const PER_SEGMENT = 8; // 1 KiB segments hold 8 entries of 124 bytes
const SMALL = { maxSegmentBytes: 1024, maxBytes: 64 * 1024 } as const;

const dirs = new TempDirs();
const open: Spool[] = [];

async function openAt(dir: string, options: Partial<DiskSpoolOptions> = {}): Promise<Spool> {
  const spool = await openDiskSpool({ ...SMALL, ...options, dir });
  open.push(spool);
  return spool;
}

async function fill(spool: Spool, count: number): Promise<void> {
  await spool.append(range(1, count).map((i) => payload(i, PAYLOAD)));
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
}

function flipByte(path: string, offset: number): void {
  const data = readFileSync(path);
  data[offset] = data[offset]! ^ 0xff;
  writeFileSync(path, data);
}

afterEach(async () => {
  for (const spool of open.splice(0)) await spool.close().catch(() => undefined);
  dirs.cleanup();
});

describe('restart', () => {
  it('after an unclean stop, re-delivers exactly the unacknowledged entries and continues the seqs', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 30);
    first.ack(1, 17);
    await first.sync();
    abandonDirectory(dir); // the first process "died": no close()

    const second = await openAt(dir);
    expect(second.stats()).toMatchObject({ ackedThrough: 17, entries: 13, nextSeq: 31 });
    const again = await readAll(second);
    expect(seqsOf(again)).toEqual(range(18, 30));
    expect(again.map(label)).toEqual(range(18, 30).map((i) => `entry-${i}`));
    expect(await second.append(payload(31))).toBe(31);
  });

  it('re-sends entries acknowledged out of order above the mark rather than skipping any', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 10);
    first.ack(1, 3);
    first.ack(6, 8);
    await first.sync();
    abandonDirectory(dir);

    const second = await openAt(dir);
    expect(seqsOf(await readAll(second))).toEqual(range(4, 10));
  });

  it('re-sends acknowledgements that had not reached the ledger yet, never skips them', async () => {
    const dir = dirs.make();
    // A ledger interval longer than the test: the acks below are never persisted by the abandoned spool.
    const first = await openAt(dir, { ledgerIntervalMs: 2_147_483_647 });
    await fill(first, 10);
    first.ack(1, 4);
    await first.sync();
    first.ack(5, 9);
    abandonDirectory(dir);

    const second = await openAt(dir);
    expect(seqsOf(await readAll(second))).toEqual(range(5, 10));
  });

  it('a clean close persists every acknowledgement', async () => {
    const dir = dirs.make();
    const first = await openAt(dir, { ledgerIntervalMs: 2_147_483_647 });
    await fill(first, 10);
    first.ack(1, 9);
    await first.close();
    const second = await openAt(dir);
    expect(seqsOf(await readAll(second))).toEqual([10]);
  });

  it('opening reads the ledger and the last segment only, not the backlog', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 10 * PER_SEGMENT + 3);
    await first.close();
    expect(segmentFiles(dir)).toHaveLength(11);

    const readPaths: string[] = [];
    let bytesRead = 0;
    const io = {
      ...nodeSpoolIo,
      readFile: (path: string) => {
        readPaths.push(path);
        const data = nodeSpoolIo.readFile(path);
        bytesRead += data?.length ?? 0;
        return data;
      },
      read: async (fd: number, into: Buffer, length: number, position: number) => {
        const n = await nodeSpoolIo.read(fd, into, length, position);
        bytesRead += n;
        return n;
      },
    };
    await openAt(dir, { io });
    expect(readPaths.map((p) => p.slice(dir.length + 1))).toEqual(['ledger', segmentFiles(dir).at(-1)]);
    expect(bytesRead).toBe(20 + 3 * FRAMED);
  });
});

describe('reading', () => {
  it('a sender paging forward in small pages reads each byte from disk about once', async () => {
    let bytesRead = 0;
    const io = {
      ...nodeSpoolIo,
      read: async (fd: number, into: Buffer, length: number, position: number) => {
        const n = await nodeSpoolIo.read(fd, into, length, position);
        bytesRead += n;
        return n;
      },
    };
    const spool = await openAt(dirs.make(), { io, maxSegmentBytes: 256 * 1024, maxBytes: 1024 * 1024 });
    await fill(spool, 3000);
    const entries = await readAll(spool, 1, 5);
    expect(entries).toHaveLength(3000);
    expect(bytesRead).toBeLessThanOrEqual(Math.ceil(1.05 * 3000 * FRAMED));
  });
});

describe('torn tail', () => {
  it('cuts a torn entry at the end of the last segment, counts its bytes, and reuses its seq', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 5);
    await first.close();
    const [segment] = segmentFiles(dir);
    const path = join(dir, segment!);
    truncateSync(path, 5 * FRAMED - 50); // cut the fifth entry mid-payload

    const drops: SpoolDropEvent[] = [];
    const second = await openAt(dir, { onDrop: (e) => drops.push(e) });
    expect(second.stats().tornBytesTruncated).toBe(FRAMED - 50);
    expect(drops).toEqual([{ reason: 'torn-tail', bytes: FRAMED - 50, segment }]);
    expect(statSync(path).size).toBe(4 * FRAMED);
    expect(seqsOf(await readAll(second))).toEqual([1, 2, 3, 4]);
    expect(await second.append(payload(5))).toBe(5);
    expect(second.stats().corruptEntriesSkipped).toBe(0);
  });

  it('cuts zero-filled blocks after the last entry (written size, unwritten data) as a torn tail', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 3);
    await first.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    appendFileSync(path, Buffer.alloc(512));

    const second = await openAt(dir);
    expect(second.stats().tornBytesTruncated).toBe(512);
    expect(statSync(path).size).toBe(3 * FRAMED);
    expect(seqsOf(await readAll(second))).toEqual([1, 2, 3]);
  });
});

describe('corruption in the middle', () => {
  it('skips an entry whose payload bytes were flipped in a sealed segment, counts it, and reads the entries after it', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 3 * PER_SEGMENT);
    await first.close();
    // seq 5 is the fifth entry of the first segment
    flipByte(join(dir, segmentFiles(dir)[0]!), 4 * FRAMED + ENTRY_HEADER + 10);

    const drops: SpoolDropEvent[] = [];
    const second = await openAt(dir, { onDrop: (e) => drops.push(e) });
    expect(second.stats().corruptEntriesSkipped).toBe(0); // found when the reader gets there, not at open
    const entries = await readAll(second);
    expect(seqsOf(entries)).toEqual(range(1, 3 * PER_SEGMENT).filter((s) => s !== 5));
    expect(second.stats()).toMatchObject({ corruptEntriesSkipped: 1, dropped: { corrupt: 1 }, tornBytesTruncated: 0 });
    expect(drops).toEqual([{ reason: 'corrupt', entries: 1, firstSeq: 5, lastSeq: 5 }]);
  });

  it('resynchronises after a damaged entry header (its length bytes flipped) and loses only that entry', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 3 * PER_SEGMENT);
    await first.close();
    flipByte(join(dir, segmentFiles(dir)[1]!), 2 * FRAMED + 5); // length of seq 11

    const second = await openAt(dir);
    expect(seqsOf(await readAll(second))).toEqual(range(1, 3 * PER_SEGMENT).filter((s) => s !== 11));
    expect(second.stats().corruptEntriesSkipped).toBe(1);
  });

  it('skips a damaged entry in the middle of the last segment without truncating the entries after it', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 6);
    await first.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    flipByte(path, 2 * FRAMED + 1); // sync marker of seq 3

    const second = await openAt(dir);
    expect(second.stats().tornBytesTruncated).toBe(0);
    expect(statSync(path).size).toBe(6 * FRAMED);
    expect(seqsOf(await readAll(second))).toEqual([1, 2, 4, 5, 6]);
    expect(second.stats().corruptEntriesSkipped).toBe(1);
    expect(await second.append(payload(7))).toBe(7);
  });

  it('counts a run of several damaged entries by the seqs it lost', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 2 * PER_SEGMENT);
    await first.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    const data = readFileSync(path);
    data.fill(0xa5, 2 * FRAMED + 7, 5 * FRAMED + 3); // seqs 3..6 overwritten
    writeFileSync(path, data);

    const second = await openAt(dir);
    expect(seqsOf(await readAll(second))).toEqual(range(1, 2 * PER_SEGMENT).filter((s) => s < 3 || s > 6));
    expect(second.stats().corruptEntriesSkipped).toBe(4);
  });

  it('counts each lost entry once even when the same region is read again', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 2 * PER_SEGMENT);
    await first.close();
    flipByte(join(dir, segmentFiles(dir)[0]!), 3 * FRAMED + ENTRY_HEADER);

    const second = await openAt(dir);
    await readAll(second);
    await readAll(second);
    await readAll(second, 2, 3);
    expect(second.stats().corruptEntriesSkipped).toBe(1);
  });

  it('counts the entries of a missing segment file as lost and reads on past the gap', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 3 * PER_SEGMENT);
    await first.close();
    unlinkSync(join(dir, segmentFiles(dir)[1]!));

    const second = await openAt(dir);
    const seqs = seqsOf(await readAll(second));
    expect(seqs).toEqual([...range(1, PER_SEGMENT), ...range(2 * PER_SEGMENT + 1, 3 * PER_SEGMENT)]);
    expect(second.stats().corruptEntriesSkipped).toBe(PER_SEGMENT);
  });
});

describe('ledger', () => {
  it('a corrupted ledger falls back to re-sending everything on disk rather than skipping anything', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 4 * PER_SEGMENT);
    first.ack(1, PER_SEGMENT + 3);
    await first.close();
    expect(segmentFiles(dir)).toHaveLength(3); // the first segment was wholly acknowledged and deleted
    flipByte(join(dir, 'ledger'), 9);

    const second = await openAt(dir);
    expect(second.stats()).toMatchObject({ ledgerResets: 1, ackedThrough: PER_SEGMENT });
    // Re-sends 9..11 (acknowledged, but the ledger that said so is gone) and everything after.
    expect(seqsOf(await readAll(second))).toEqual(range(PER_SEGMENT + 1, 4 * PER_SEGMENT));
  });

  it('a missing ledger means everything on disk is unacknowledged', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 5);
    first.ack(1, 2);
    await first.close();
    unlinkSync(join(dir, 'ledger'));

    const second = await openAt(dir);
    expect(second.stats().ledgerResets).toBe(0);
    expect(seqsOf(await readAll(second))).toEqual(range(1, 5));
  });

  it('a leftover ledger.tmp from a crash mid-write is ignored and removed', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 5);
    first.ack(1, 2);
    await first.close();
    writeFileSync(join(dir, 'ledger.tmp'), 'half a ledg');

    const second = await openAt(dir);
    expect(second.stats().ackedThrough).toBe(2);
    expect(readdirSync(dir)).not.toContain('ledger.tmp');
  });
});

describe('segment deletion', () => {
  it('deletes fully acknowledged segment files and keeps partially acknowledged ones', async () => {
    const dir = dirs.make();
    const spool = await openAt(dir);
    await fill(spool, 4 * PER_SEGMENT);
    const before = segmentFiles(dir);
    expect(before).toHaveLength(4);
    spool.ack(1, 2 * PER_SEGMENT + 1);
    await spool.sync();
    expect(segmentFiles(dir)).toEqual(before.slice(2));
    expect(spool.stats().segments).toBe(2);
  });

  it('never deletes the active segment for being acknowledged; appends continue in it', async () => {
    const dir = dirs.make();
    const spool = await openAt(dir);
    await fill(spool, 3);
    spool.ack(1, 3);
    await spool.sync();
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(await spool.append(payload(4))).toBe(4);
    expect(segmentFiles(dir)).toHaveLength(1);
  });

  it('deletes at open a segment left behind by a crash between the ledger write and the delete', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await fill(first, 2 * PER_SEGMENT + 2);
    const oldest = segmentFiles(dir)[0]!;
    copyFileSync(join(dir, oldest), join(dir, 'saved'));
    first.ack(1, PER_SEGMENT);
    await first.close();
    expect(segmentFiles(dir)).not.toContain(oldest);
    copyFileSync(join(dir, 'saved'), join(dir, oldest));

    const second = await openAt(dir);
    expect(segmentFiles(dir)).not.toContain(oldest);
    expect(seqsOf(await readAll(second))).toEqual(range(PER_SEGMENT + 1, 2 * PER_SEGMENT + 2));
  });

  it('drop-oldest on disk deletes the oldest file, makes the drop durable, and never re-delivers dropped entries', async () => {
    const dir = dirs.make();
    const first = await openAt(dir, { maxBytes: 2048, onFull: 'drop-oldest' });
    await fill(first, 2 * PER_SEGMENT);
    const oldest = segmentFiles(dir)[0];
    await first.append(payload(99));
    expect(segmentFiles(dir)).not.toContain(oldest);
    abandonDirectory(dir);

    const second = await openAt(dir, { maxBytes: 2048 });
    expect(second.stats().ackedThrough).toBe(PER_SEGMENT);
    expect(seqsOf(await readAll(second))).toEqual(range(PER_SEGMENT + 1, 2 * PER_SEGMENT + 1));
  });
});

describe('single writer lock', () => {
  it('refuses a second open of the same directory with SPOOL_LOCKED', async () => {
    const dir = dirs.make();
    await openAt(dir);
    await expect(openDiskSpool({ dir })).rejects.toMatchObject({
      code: 'SPOOL_LOCKED',
      pid: process.pid,
      message: expect.stringContaining('own spool dir'),
    });
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = dirs.make();
    const first = await openAt(dir);
    await first.close();
    abandonDirectory(dir);
    const second = await openAt(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    await second.close();
    expect(readdirSync(dir)).not.toContain('lock');
  });

  it('takes over an unreadable lock file', async () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'lock'), 'garbage');
    await expect(openAt(dir)).resolves.toBeDefined();
  });
});
