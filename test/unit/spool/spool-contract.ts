/**
 * The spool contract (MQTT.js `abstract_store` style): one suite, run against every implementation
 * (memory here, disk in test/integration/spool-contract.test.ts). A factory opens a fresh spool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { prepareFrames } from '../../../src/spool/entry-codec.js';
import type { CommonSpoolOptions, Spool, SpoolDropEvent } from '../../../src/spool/index.js';
import { ENTRY_HEADER, payload, range, readAll, seqsOf, label, track, turns } from './helpers.js';

export interface SpoolFactory {
  open(options: CommonSpoolOptions): Promise<Spool>;
  cleanup(): Promise<void> | void;
}

const PAYLOAD = 100;
const FRAMED = ENTRY_HEADER + PAYLOAD;
/** 1 KiB segments hold 8 entries of 124 framed bytes (992 bytes). */
const SMALL = { maxSegmentBytes: 1024, maxBytes: 2048 } as const;
const PER_SEGMENT = 8;

async function fill(spool: Spool, count: number, from = 1): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = from; i < from + count; i += 1) seqs.push(await spool.append(payload(i, PAYLOAD)));
  return seqs;
}

export function spoolContract(name: string, factory: SpoolFactory): void {
  describe(`${name} (spool contract)`, () => {
    const open: Spool[] = [];
    const make = async (options: CommonSpoolOptions = {}): Promise<Spool> => {
      const spool = await factory.open(options);
      open.push(spool);
      return spool;
    };

    afterEach(async () => {
      for (const spool of open.splice(0)) await spool.close();
      await factory.cleanup();
    });

    describe('append and read', () => {
      it('gives appended entries consecutive seqs from 1 and reads them back in order', async () => {
        const spool = await make();
        const seqs = await Promise.all(range(1, 20).map((i) => spool.append(payload(i))));
        expect(seqs).toEqual(range(1, 20));
        const entries = await readAll(spool);
        expect(seqsOf(entries)).toEqual(range(1, 20));
        expect(entries.map(label)).toEqual(range(1, 20).map((i) => `entry-${i}`));
      });

      it('resolves a batch append with consecutive seqs', async () => {
        const spool = await make();
        await spool.append(payload(0));
        const seqs = await spool.append([payload(1), payload(2), payload(3)]);
        expect(seqs).toEqual([2, 3, 4]);
        expect(await spool.append([])).toEqual([]);
        expect(seqsOf(await readAll(spool))).toEqual([1, 2, 3, 4]);
      });

      it('copies the payload, so the caller may reuse its buffer as soon as append returns', async () => {
        const spool = await make();
        const buf = Buffer.from('original');
        const pending = spool.append(buf);
        buf.write('CHANGED!');
        await pending;
        const [entry] = (await spool.read(1)).entries;
        expect(entry?.payload.toString()).toBe('original');
      });

      it('stores zero-length payloads', async () => {
        const spool = await make();
        await spool.append(new Uint8Array(0));
        await spool.append(payload(2));
        const entries = await readAll(spool);
        expect(entries.map((e) => e.payload.length)).toEqual([0, 100]);
      });

      it('read returns at most maxEntries entries and maxBytes of payload, but always at least one entry', async () => {
        const spool = await make();
        await fill(spool, 10);
        expect(seqsOf((await spool.read(1, { maxEntries: 3 })).entries)).toEqual([1, 2, 3]);
        expect(seqsOf((await spool.read(1, { maxBytes: 250 })).entries)).toEqual([1, 2]);
        expect(seqsOf((await spool.read(4, { maxBytes: 10 })).entries)).toEqual([4]);
      });

      it('read continues from `next` without repeating or skipping an entry', async () => {
        const spool = await make({ maxSegmentBytes: 1024 });
        await fill(spool, 50);
        const seen: number[] = [];
        let next = 1;
        for (;;) {
          const page = await spool.read(next, { maxEntries: 7 });
          if (page.entries.length === 0) break;
          seen.push(...seqsOf(page.entries));
          next = page.next;
        }
        expect(seen).toEqual(range(1, 50));
        expect(next).toBe(51);
      });

      it('read from a seq in the middle of a segment starts exactly there', async () => {
        const spool = await make({ maxSegmentBytes: 1024 });
        await fill(spool, 30);
        expect(seqsOf((await spool.read(13, { maxEntries: 4 })).entries)).toEqual([13, 14, 15, 16]);
        expect(seqsOf((await spool.read(3, { maxEntries: 2 })).entries)).toEqual([3, 4]);
      });

      it('a reader running while appends land sees every entry exactly once, in order', async () => {
        const spool = await make({ maxSegmentBytes: 4096 });
        const TOTAL = 600;
        const writers = [0, 1, 2].map(async (w) => {
          for (let i = 0; i < TOTAL / 3; i += 1) await spool.append(payload(w * 1000 + i, 60));
        });
        const seen: number[] = [];
        let next = 1;
        while (next <= TOTAL) {
          await spool.waitForEntries(next);
          const page = await spool.read(next, { maxEntries: 7 });
          seen.push(...seqsOf(page.entries));
          next = page.next;
        }
        await Promise.all(writers);
        expect(seen).toEqual(range(1, TOTAL));
        expect(spool.stats().corruptEntriesSkipped).toBe(0);
      });

      it('scan hands every entry to the visitor in order, with the same bytes and limits as read, and returns next', async () => {
        const spool = await make({ maxSegmentBytes: 1024 });
        await fill(spool, 30);
        const seen: Array<[number, string]> = [];
        let next = 1;
        for (;;) {
          const before = seen.length;
          next = await spool.scan(next, { maxEntries: 7, maxBytes: 450 }, (seq, buf, start, end) => {
            seen.push([seq, buf.toString('latin1', start, end).replace(/\.+$/, '')]);
          });
          const page = seen.length - before;
          if (page === 0) break;
          // 450 bytes of 100-byte payloads: at most 4 a call, whatever maxEntries allows.
          expect(page).toBeLessThanOrEqual(4);
        }
        expect(seen).toEqual(range(1, 30).map((i) => [i, `entry-${i}`]));
        expect(next).toBe(31);
      });

      it('scan never visits entries at or below the low-water mark and visits at least one entry', async () => {
        const spool = await make();
        await fill(spool, 10);
        spool.ack(1, 4);
        const seqs: number[] = [];
        const next = await spool.scan(1, { maxBytes: 1 }, (seq) => seqs.push(seq));
        expect(seqs).toEqual([5]);
        expect(next).toBe(6);
      });

      it('appendFrames stores entries the caller framed: consecutive seqs, the same bytes, the same framed size', async () => {
        const spool = await make();
        await spool.append(payload(0));
        const payloads = range(1, 5).map((i) => payload(i, 10 * i));
        const bytes = payloads.reduce((sum, p) => sum + ENTRY_HEADER + p.length, 0);
        const frames = prepareFrames(payloads, bytes, (n) => spool.frameBuffer(n));
        expect(await spool.appendFrames(frames, payloads.length)).toBe(2);
        const entries = await readAll(spool);
        expect(seqsOf(entries)).toEqual(range(1, 6));
        expect(entries.slice(1).map((e) => e.payload.toString('latin1'))).toEqual(payloads.map((p) => p.toString('latin1')));
        expect(spool.stats().bytes).toBe(ENTRY_HEADER + 100 + bytes);
      });

      it('appendFrames refuses frames that do not match their count, and an entry larger than a segment', async () => {
        const spool = await make(SMALL);
        const frames = prepareFrames([payload(1), payload(2)], 2 * FRAMED);
        await expect(spool.appendFrames(frames, 3)).rejects.toMatchObject({ code: 'SPOOL_PAYLOAD_TYPE' });
        await expect(spool.appendFrames(frames, 1)).rejects.toMatchObject({ code: 'SPOOL_PAYLOAD_TYPE' });
        const big = payload(3, 2000);
        await expect(spool.appendFrames(prepareFrames([big], ENTRY_HEADER + big.length), 1)).rejects.toMatchObject({ code: 'SPOOL_ENTRY_TOO_LARGE' });
        expect(spool.stats().nextSeq).toBe(1);
      });

      it('read past the last entry returns nothing and points at the next seq to come', async () => {
        const spool = await make();
        await fill(spool, 3);
        const page = await spool.read(4);
        expect(page.entries).toEqual([]);
        expect(page.next).toBe(4);
      });

      it('refuses an entry larger than a segment with SPOOL_ENTRY_TOO_LARGE', async () => {
        const spool = await make(SMALL);
        await expect(spool.append(Buffer.alloc(1024 - ENTRY_HEADER + 1))).rejects.toMatchObject({
          code: 'SPOOL_ENTRY_TOO_LARGE',
          message: expect.stringContaining('maxSegmentBytes'),
        });
        await expect(spool.append(Buffer.alloc(1024 - ENTRY_HEADER))).resolves.toBe(1);
      });

      it('refuses a batch larger than maxBytes with SPOOL_ENTRY_TOO_LARGE, whatever onFull says', async () => {
        const spool = await make({ ...SMALL, onFull: 'block' });
        const batch = range(1, 17).map((i) => payload(i));
        await expect(spool.append(batch)).rejects.toMatchObject({ code: 'SPOOL_ENTRY_TOO_LARGE', message: expect.stringContaining('maxBytes') });
        expect(spool.stats().nextSeq).toBe(1);
        await expect(spool.append(batch.slice(0, 16))).resolves.toEqual(range(1, 16));
      });

      it('refuses a payload that is not bytes', async () => {
        const spool = await make();
        await expect(spool.append('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'SPOOL_PAYLOAD_TYPE' });
      });

      it('rejects options that break the capacity invariant with SPOOL_OPTIONS', async () => {
        await expect(factory.open({ maxSegmentBytes: 1024, maxBytes: 1500 })).rejects.toMatchObject({
          code: 'SPOOL_OPTIONS',
          message: expect.stringContaining('maxBytes'),
        });
        await expect(factory.open({ onFull: 'explode' as never })).rejects.toMatchObject({ code: 'SPOOL_OPTIONS' });
      });
    });

    describe('waiting for entries', () => {
      it('waitForEntries resolves true once an entry at or after fromSeq is appended', async () => {
        const spool = await make();
        await fill(spool, 2);
        expect(await spool.waitForEntries(2)).toBe(true);
        const waiting = track(spool.waitForEntries(3));
        await turns();
        expect(waiting.settled).toBe(false);
        await spool.append(payload(3));
        expect(await waiting.promise).toBe(true);
      });

      it('waitForEntries resolves false when its signal aborts or the spool closes', async () => {
        const spool = await make();
        const controller = new AbortController();
        const aborted = spool.waitForEntries(1, controller.signal);
        const closed = spool.waitForEntries(1);
        controller.abort();
        expect(await aborted).toBe(false);
        await spool.close();
        expect(await closed).toBe(false);
      });
    });

    describe('acknowledgement', () => {
      it('advances the low-water mark only over a contiguous prefix of acks', async () => {
        const spool = await make();
        await fill(spool, 6);
        spool.ack(3);
        spool.ack(5);
        spool.ack(2);
        expect(spool.stats().ackedThrough).toBe(0);
        expect(spool.stats().entries).toBe(3);
        spool.ack(1);
        expect(spool.stats().ackedThrough).toBe(3);
        spool.ack(4);
        expect(spool.stats().ackedThrough).toBe(5);
        expect(spool.stats().entries).toBe(1);
      });

      it('accepts acks of ranges, repeated acks and acks below the mark', async () => {
        const spool = await make();
        await fill(spool, 10);
        spool.ack(4, 6);
        spool.ack(1, 3);
        expect(spool.stats().ackedThrough).toBe(6);
        spool.ack(2);
        spool.ack(5, 8);
        expect(spool.stats().ackedThrough).toBe(8);
        expect(spool.stats().entries).toBe(2);
      });

      it('read never returns entries at or below the low-water mark', async () => {
        const spool = await make({ maxSegmentBytes: 1024 });
        await fill(spool, 20);
        spool.ack(1, 11);
        expect(seqsOf(await readAll(spool, 1))).toEqual(range(12, 20));
      });

      it('rejects acks of seqs that were never accepted with SPOOL_ACK_OUT_OF_RANGE', async () => {
        const spool = await make();
        await fill(spool, 3);
        expect(() => spool.ack(4)).toThrow(expect.objectContaining({ code: 'SPOOL_ACK_OUT_OF_RANGE' }));
        expect(() => spool.ack(0)).toThrow(expect.objectContaining({ code: 'SPOOL_ACK_OUT_OF_RANGE' }));
        expect(() => spool.ack(3, 2)).toThrow(expect.objectContaining({ code: 'SPOOL_ACK_OUT_OF_RANGE' }));
        expect(spool.stats().ackedThrough).toBe(0);
      });

      it('frees a segment once every entry in it is acknowledged and keeps partially acknowledged ones', async () => {
        const spool = await make(SMALL);
        await fill(spool, 2 * PER_SEGMENT);
        expect(spool.stats().segments).toBe(2);
        spool.ack(1, PER_SEGMENT + 3);
        await spool.sync();
        expect(spool.stats()).toMatchObject({ segments: 1, bytes: PER_SEGMENT * FRAMED, ackedThrough: PER_SEGMENT + 3, entries: PER_SEGMENT - 3 });
      });
    });

    describe('stats', () => {
      it('report unacknowledged entries, bytes (a 24-byte header per entry) and segments', async () => {
        const spool = await make(SMALL);
        await fill(spool, PER_SEGMENT + 2);
        expect(spool.stats()).toMatchObject({
          entries: PER_SEGMENT + 2,
          bytes: (PER_SEGMENT + 2) * FRAMED,
          segments: 2,
          nextSeq: PER_SEGMENT + 3,
          ackedThrough: 0,
          dropped: { 'spool-full': 0, corrupt: 0 },
          blockedAppends: 0,
        });
      });
    });

    describe("onFull 'reject'", () => {
      it('refuses an append past maxBytes with SPOOL_FULL, naming the limit and what to change', async () => {
        const spool = await make({ ...SMALL, onFull: 'reject' });
        await fill(spool, 2 * PER_SEGMENT);
        const error = await spool.append(payload(99)).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'SPOOL_FULL', name: 'SpoolFullError' });
        expect((error as Error).message).toContain('maxBytes (2048)');
        expect((error as Error).message).toContain("onFull to 'block' or 'drop-oldest'");
        expect(spool.stats().entries).toBe(2 * PER_SEGMENT);
      });

      it('accepts again once acknowledged segments are reclaimed', async () => {
        const spool = await make({ ...SMALL, onFull: 'reject' });
        await fill(spool, 2 * PER_SEGMENT);
        spool.ack(1, PER_SEGMENT);
        await expect(spool.append(payload(99))).resolves.toBe(2 * PER_SEGMENT + 1);
      });
    });

    describe("onFull 'block'", () => {
      it('makes an append past maxBytes wait, and resumes it once acks free a segment', async () => {
        const spool = await make({ ...SMALL, onFull: 'block' });
        await fill(spool, 2 * PER_SEGMENT);
        const blocked = track(spool.append(payload(99)));
        await turns();
        expect(blocked.settled).toBe(false);
        expect(spool.stats().blockedAppends).toBe(1);
        spool.ack(1, PER_SEGMENT - 1);
        await turns();
        expect(blocked.settled).toBe(false);
        spool.ack(PER_SEGMENT);
        expect(await blocked.promise).toBe(2 * PER_SEGMENT + 1);
        expect(spool.stats().blockedAppends).toBe(0);
      });

      it('resumes when everything is acknowledged, even inside the one active segment', async () => {
        const spool = await make({ maxSegmentBytes: 1024, maxBytes: 2048, onFull: 'block' });
        // One large entry per segment: two fill the spool.
        await spool.append(Buffer.alloc(900));
        await spool.append(Buffer.alloc(900));
        const blocked = track(spool.append(Buffer.alloc(900)));
        await turns();
        expect(blocked.settled).toBe(false);
        spool.ack(1, 2);
        expect(await blocked.promise).toBe(3);
      });

      it('keeps blocked appends in order', async () => {
        const spool = await make({ ...SMALL, onFull: 'block' });
        await fill(spool, 2 * PER_SEGMENT);
        const first = spool.append(payload(100));
        const second = spool.append(payload(101));
        spool.ack(1, 2 * PER_SEGMENT);
        expect(await first).toBe(2 * PER_SEGMENT + 1);
        expect(await second).toBe(2 * PER_SEGMENT + 2);
        expect((await readAll(spool)).map(label)).toEqual(['entry-100', 'entry-101']);
      });

      it('refuses appends beyond maxBlockedAppends with SPOOL_FULL instead of growing the heap', async () => {
        const spool = await make({ ...SMALL, onFull: 'block', maxBlockedAppends: 2 });
        await fill(spool, 2 * PER_SEGMENT);
        const waiting = [track(spool.append(payload(1))), track(spool.append(payload(2)))];
        await expect(spool.append(payload(3))).rejects.toMatchObject({
          code: 'SPOOL_FULL',
          message: expect.stringContaining('maxBlockedAppends'),
        });
        await turns();
        expect(waiting.every((w) => !w.settled)).toBe(true);
      });

      it('fails blocked appends with SPOOL_CLOSED when the spool closes', async () => {
        const spool = await make({ ...SMALL, onFull: 'block' });
        await fill(spool, 2 * PER_SEGMENT);
        const blocked = expect(spool.append(payload(99))).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
        await turns();
        await spool.close();
        await blocked;
      });
    });

    describe("onFull 'drop-oldest'", () => {
      it('drops the oldest whole segment, counts every dropped entry and reports it', async () => {
        const drops: SpoolDropEvent[] = [];
        const spool = await make({ ...SMALL, onFull: 'drop-oldest', onDrop: (e) => drops.push(e) });
        await fill(spool, 2 * PER_SEGMENT);
        expect(await spool.append(payload(99))).toBe(2 * PER_SEGMENT + 1);
        expect(drops).toEqual([{ reason: 'spool-full', entries: PER_SEGMENT, firstSeq: 1, lastSeq: PER_SEGMENT }]);
        expect(spool.stats().dropped['spool-full']).toBe(PER_SEGMENT);
        expect(spool.stats().ackedThrough).toBe(PER_SEGMENT);
        expect(seqsOf(await readAll(spool))).toEqual(range(PER_SEGMENT + 1, 2 * PER_SEGMENT + 1));
      });

      it('does not count entries that were already acknowledged as dropped', async () => {
        const drops: SpoolDropEvent[] = [];
        const spool = await make({ ...SMALL, onFull: 'drop-oldest', onDrop: (e) => drops.push(e) });
        await fill(spool, 2 * PER_SEGMENT);
        spool.ack(1, 3);
        spool.ack(5);
        await spool.append(payload(99));
        expect(drops).toEqual([{ reason: 'spool-full', entries: PER_SEGMENT - 4, firstSeq: 4, lastSeq: PER_SEGMENT }]);
        expect(spool.stats().dropped['spool-full']).toBe(PER_SEGMENT - 4);
      });

      it('accounts for every entry: delivered plus dropped equals appended', async () => {
        const spool = await make({ ...SMALL, onFull: 'drop-oldest' });
        await fill(spool, 100);
        const left = await readAll(spool);
        expect(left.length + spool.stats().dropped['spool-full']).toBe(100);
        expect(seqsOf(left)).toEqual(range(101 - left.length, 100));
        expect(spool.stats().bytes).toBeLessThanOrEqual(2048);
      });
    });

    describe('close', () => {
      it('rejects operations after close with SPOOL_CLOSED, and close may be called twice', async () => {
        const spool = await make();
        await fill(spool, 1);
        await spool.close();
        await spool.close();
        await expect(spool.append(payload(2))).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
        await expect(spool.read(1)).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
        expect(() => spool.ack(1)).toThrow(expect.objectContaining({ code: 'SPOOL_CLOSED' }));
      });
    });
  });
}
