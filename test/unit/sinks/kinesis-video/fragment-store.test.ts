import { mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRAGMENT_HEADER_BYTES, fragmentFileName } from '../../../../src/sinks/kinesis-video/fragment-file.js';
import { FragmentStore, type FragmentStoreEvent, type FragmentStoreOptions } from '../../../../src/sinks/kinesis-video/fragment-store.js';
import { testCluster, testStreamHeader, tcOf } from './helpers/test-media.js';

let dir: string;
let stores: FragmentStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kedge-fragment-store-'));
});

afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
  await rm(dir, { recursive: true, force: true });
});

async function openStore(options: Partial<FragmentStoreOptions> = {}, events: FragmentStoreEvent[] = []): Promise<FragmentStore> {
  const store = await FragmentStore.open({ dir, maxBytes: 10_000_000, maxDurationMs: 3_600_000, fsync: 'never', onEvent: (e) => events.push(e), ...options });
  stores.push(store);
  return store;
}

async function appendN(store: FragmentStore, from: number, count: number, bytes = 2000): Promise<void> {
  for (let i = from; i < from + count; i += 1) await store.append(testCluster(tcOf(i), bytes), { fragmentTimecodeMs: tcOf(i), durationMs: 2000, keyframe: true });
}

async function readAll(store: FragmentStore, seq: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of store.readPayload(seq)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('FragmentStore', () => {
  it('keeps fragments, their metadata and their stream header across a restart', async () => {
    const first = await openStore({ fsync: 'always' });
    await first.putHeader(testStreamHeader());
    await appendN(first, 0, 3);
    await first.close();
    stores = [];

    const again = await openStore();
    expect(again.list().map((f) => [f.seq, f.fragmentTimecodeMs, f.durationMs, f.keyframe])).toEqual([
      [0, tcOf(0), 2000, true],
      [1, tcOf(1), 2000, true],
      [2, tcOf(2), 2000, true],
    ]);
    expect(await readAll(again, 1)).toEqual(testCluster(tcOf(1)));
    expect(await again.readHeader(again.get(0)!.headerId)).toEqual(testStreamHeader());
    // Sequence numbers continue after the restart.
    await again.putHeader(testStreamHeader());
    await appendN(again, 3, 1);
    expect(again.newest()!.seq).toBe(3);
  });

  it('refuses fragments before a stream header is stored, with KVS_NO_HEADER', async () => {
    const store = await openStore();
    await expect(store.append(testCluster(tcOf(0)), { fragmentTimecodeMs: tcOf(0), durationMs: 2000, keyframe: true })).rejects.toMatchObject({ code: 'KVS_NO_HEADER' });
  });

  it('evicts the oldest fragments when the byte bound is reached, counting and reporting each eviction', async () => {
    const events: FragmentStoreEvent[] = [];
    const perFile = FRAGMENT_HEADER_BYTES + testCluster(tcOf(0), 2000).length;
    const store = await openStore({ maxBytes: perFile * 3 }, events);
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 5);
    expect(store.list().map((f) => f.seq)).toEqual([2, 3, 4]);
    const evicted = events.filter((e) => e.type === 'evicted');
    expect(evicted.map((e) => (e.type === 'evicted' ? [e.fragment.seq, e.cause] : []))).toEqual([
      [0, 'bytes'],
      [1, 'bytes'],
    ]);
    expect(store.stats().evicted).toEqual({ fragments: 2, bytes: 2 * (perFile - FRAGMENT_HEADER_BYTES), durationMs: 4000 });
    expect(store.stats().bytes).toBe(perFile * 3);
    const files = (await readdir(dir)).filter((n) => n.endsWith('.frag')).sort();
    expect(files).toEqual([fragmentFileName(2), fragmentFileName(3), fragmentFileName(4)]);
  });

  it('evicts by total duration as well as by bytes', async () => {
    const events: FragmentStoreEvent[] = [];
    const store = await openStore({ maxDurationMs: 5000 }, events);
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 4);
    expect(store.list().map((f) => f.seq)).toEqual([2, 3]);
    expect(store.stats().durationMs).toBe(4000);
    expect(events.filter((e) => e.type === 'evicted').map((e) => (e.type === 'evicted' ? e.cause : ''))).toEqual(['duration', 'duration']);
  });

  it('rejects a fragment larger than the whole ring with KVS_FRAGMENT_TOO_LARGE and evicts nothing', async () => {
    const store = await openStore({ maxBytes: 10_000 });
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 2);
    await expect(store.append(Buffer.alloc(20_000), { fragmentTimecodeMs: tcOf(9), durationMs: 2000, keyframe: true })).rejects.toMatchObject({ code: 'KVS_FRAGMENT_TOO_LARGE' });
    expect(store.list()).toHaveLength(2);
  });

  it('frees released fragments (file deleted, counted by reason) and ignores a second release', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 3);
    expect(await store.release(0, 'persisted')).toBe(true);
    expect(await store.release(1, 'skipped', 'INVALID_MKV_DATA')).toBe(true);
    expect(await store.release(0, 'persisted')).toBe(false);
    expect(store.list().map((f) => f.seq)).toEqual([2]);
    expect(store.stats().freed).toEqual({ persisted: 1, received: 0, skipped: 1 });
    expect((await readdir(dir)).filter((n) => n.endsWith('.frag'))).toEqual([fragmentFileName(2)]);
  });

  it('detects a corrupt payload when reading, drops it before yielding a byte, and counts it', async () => {
    const events: FragmentStoreEvent[] = [];
    const store = await openStore({}, events);
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 2);
    const fh = await open(join(dir, fragmentFileName(0)), 'r+');
    await fh.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, FRAGMENT_HEADER_BYTES + 100);
    await fh.close();
    const yielded: Buffer[] = [];
    const error = await (async () => {
      for await (const c of store.readPayload(0)) yielded.push(c);
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KVS_FRAGMENT_CORRUPT' });
    expect(yielded).toEqual([]);
    expect(store.list().map((f) => f.seq)).toEqual([1]);
    expect(store.stats().corrupt.atRead).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'corrupt', phase: 'read', reason: 'payload checksum mismatch' }));
    expect(await readAll(store, 1)).toEqual(testCluster(tcOf(1)));
  });

  it('on open, skips and counts torn and corrupt fragment files and leftover temp files, keeping the rest', async () => {
    const first = await openStore();
    await first.putHeader(testStreamHeader());
    await appendN(first, 0, 5);
    await first.close();
    stores = [];
    // 1: torn (payload cut short); 2: header bytes damaged; 3: nothing but a few bytes; a crash left a temp file.
    const size = (await stat(join(dir, fragmentFileName(1)))).size;
    await truncate(join(dir, fragmentFileName(1)), size - 10);
    const fh = await open(join(dir, fragmentFileName(2)), 'r+');
    await fh.write(Buffer.from([0x77]), 0, 1, 20);
    await fh.close();
    await writeFile(join(dir, fragmentFileName(3)), Buffer.from('KFR'));
    await writeFile(join(dir, `${fragmentFileName(5)}.tmp`), Buffer.alloc(100));

    const events: FragmentStoreEvent[] = [];
    const again = await openStore({}, events);
    expect(again.list().map((f) => f.seq)).toEqual([0, 4]);
    expect(again.stats().corrupt.atOpen).toBe(3);
    expect(again.stats().tornAtOpen).toBe(1);
    expect(events.filter((e) => e.type === 'corrupt').map((e) => (e.type === 'corrupt' ? e.reason : ''))).toEqual([
      expect.stringContaining('torn write'),
      'header checksum mismatch',
      expect.stringContaining('torn write'),
    ]);
    expect((await readdir(dir)).filter((n) => n.includes('.frag')).sort()).toEqual([fragmentFileName(0), fragmentFileName(4)]);
  });

  it('on open, drops fragments whose stream header file is missing or corrupt', async () => {
    const first = await openStore();
    await first.putHeader(testStreamHeader('a'));
    await appendN(first, 0, 1);
    await first.putHeader(testStreamHeader('b'));
    await appendN(first, 1, 1);
    const headerB = first.get(1)!.headerId;
    await first.close();
    stores = [];
    const fh = await open(join(dir, `${headerB}.hdr`), 'r+');
    await fh.write(Buffer.from([0x00]), 0, 1, 30);
    await fh.close();
    const again = await openStore();
    expect(again.list().map((f) => f.seq)).toEqual([0]);
    expect(again.stats().corrupt.atOpen).toBe(2);
  });

  it('applies smaller bounds at open by evicting the oldest fragments, counted', async () => {
    const first = await openStore();
    await first.putHeader(testStreamHeader());
    await appendN(first, 0, 5);
    await first.close();
    stores = [];
    const again = await openStore({ maxDurationMs: 6000 });
    expect(again.list().map((f) => f.seq)).toEqual([2, 3, 4]);
    expect(again.stats().evicted.fragments).toBe(2);
  });

  it('streams a large fragment in chunks no bigger than readChunkBytes', async () => {
    const store = await openStore({ readChunkBytes: 4096 });
    await store.putHeader(testStreamHeader());
    const big = testCluster(tcOf(0), 50_000);
    await store.append(big, { fragmentTimecodeMs: tcOf(0), durationMs: 2000, keyframe: true });
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    for await (const c of store.readPayload(0)) {
      sizes.push(c.length);
      parts.push(Buffer.from(c));
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    expect(Buffer.concat(parts).equals(big)).toBe(true);
  });

  it('reads the next fragment into the buffer of a chunk given back with releaseChunk, and never into one still held', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 3);
    const read = async (seq: number): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of store.readPayload(seq)) chunks.push(c);
      expect(chunks).toHaveLength(1);
      return chunks[0]!;
    };
    const first = await read(0);
    expect(first.equals(testCluster(tcOf(0)))).toBe(true);
    store.releaseChunk(first);
    const second = await read(1);
    expect(second.buffer).toBe(first.buffer);
    expect(second.equals(testCluster(tcOf(1)))).toBe(true);
    // `second` is still held (not given back): the next read must not write into it.
    const third = await read(2);
    expect(third.buffer).not.toBe(second.buffer);
    expect(second.equals(testCluster(tcOf(1)))).toBe(true);
    expect(third.equals(testCluster(tcOf(2)))).toBe(true);
  });

  it('reports KVS_FRAGMENT_GONE for a fragment evicted before it was read', async () => {
    const store = await openStore({ maxDurationMs: 4000 });
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 3);
    await expect(readAll(store, 0)).rejects.toMatchObject({ code: 'KVS_FRAGMENT_GONE' });
  });

  it('wakes a waiter when a newer fragment is appended, and honours its abort signal', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    const waited = store.waitForAppend(-1);
    await appendN(store, 0, 1);
    await expect(waited).resolves.toBeUndefined();
    const controller = new AbortController();
    const aborted = store.waitForAppend(0, controller.signal);
    controller.abort(new Error('stop waiting'));
    await expect(aborted).rejects.toThrow('stop waiting');
  });

  it('walks past freed fragments: nextAfter skips holes, newest skips freed tail', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 6);
    await store.release(1, 'persisted');
    await store.release(2, 'persisted');
    await store.release(5, 'persisted');
    expect(store.nextAfter(0)!.seq).toBe(3);
    expect(store.nextAfter(-1)!.seq).toBe(0);
    expect(store.newest()!.seq).toBe(4);
    expect(store.nextAfter(4)).toBeUndefined();
  });

  it('deletes a stream header file once no fragment uses it and it is no longer current', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader('a'));
    await appendN(store, 0, 1);
    const a = store.get(0)!.headerId;
    await store.putHeader(testStreamHeader('b'));
    await appendN(store, 1, 1);
    expect((await readdir(dir)).filter((n) => n.endsWith('.hdr'))).toHaveLength(2);
    await store.release(0, 'persisted');
    expect((await readdir(dir)).filter((n) => n.endsWith('.hdr'))).not.toContain(`${a}.hdr`);
    await store.release(1, 'persisted');
    // The current header stays: the next fragment will need it.
    expect((await readdir(dir)).filter((n) => n.endsWith('.hdr'))).toHaveLength(1);
  });
});

describe('FragmentStore waiting', () => {
  it('does not wake a waiter until the appended fragment can be read (no spinning on a half-written append)', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    const appending = appendN(store, 0, 1);
    // Let the append reach its file write: its seq is taken, its fragment not yet indexed.
    await new Promise((r) => setImmediate(r));
    const seenWhenWoken = store.waitForAppend(-1).then(() => store.nextAfter(-1)?.seq);
    await appending;
    expect(await seenWhenWoken).toBe(0);
  });

  it('lastSeq stays at the newest stored seq after that fragment is freed, so a waiter can wait past it', async () => {
    const store = await openStore();
    await store.putHeader(testStreamHeader());
    await appendN(store, 0, 2);
    await store.release(0, 'persisted');
    await store.release(1, 'persisted');
    expect(store.nextAfter(-1)).toBeUndefined();
    expect(store.lastSeq).toBe(1);
    let woke = false;
    const waited = store.waitForAppend(store.lastSeq).then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    await appendN(store, 2, 1);
    await waited;
    expect(store.nextAfter(1)!.seq).toBe(2);
  });
});
