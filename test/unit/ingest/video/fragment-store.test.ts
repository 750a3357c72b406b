import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FragmentStore, type NewFragment } from '../../../../src/ingest/video/fragment-store.js';
import type { HeaderParts } from '../../../../src/ingest/video/stream-header.js';
import { fragment, streamHeader } from './helpers/mkv-parts.js';

const T0 = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kedge-video-store-'));
  dirs.push(d);
  return d;
}

/** The header parts of the test stream header (EBML element, Info, Tracks). */
function headerParts(): HeaderParts {
  const h = streamHeader();
  const info = h.indexOf(Buffer.from([0x15, 0x49, 0xa9, 0x66]));
  const tracks = h.indexOf(Buffer.from([0x16, 0x54, 0xae, 0x6b]));
  const segment = h.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
  return { ebml: h.subarray(0, segment), info: h.subarray(info, tracks), tracks: h.subarray(tracks) };
}

function open(dir: string | undefined, extra: { memoryLimitBytes?: number; segmentBytes?: number } = {}): FragmentStore {
  return FragmentStore.open({ dir, streamCreationMs: T0 - HOUR, memoryLimitBytes: extra.memoryLimitBytes ?? 1 << 30, ...(extra.segmentBytes ? { segmentBytes: extra.segmentBytes } : {}) });
}

async function add(store: FragmentStore, headerId: number, at: number, persist = true): Promise<string> {
  const { number, sequence } = store.assignNumber(at);
  const f: NewFragment = {
    number,
    sequence,
    headerId,
    fragmentTimecode: at,
    producerTimestampMs: at,
    serverTimestampMs: at,
    durationMs: 1000,
    frameCount: 25,
    cluster: fragment(at),
  };
  await store.append(f, persist);
  return number;
}

describe('fragment store', () => {
  it('keeps fragments, their bytes, headers and numbers across a reopen of the stream directory', async () => {
    const dir = tempDir();
    const store = open(dir);
    const header = store.addHeader(headerParts());
    const numbers = [await add(store, header.id, T0), await add(store, header.id, T0 + 1000)];
    const bytes = await store.read(store.fragments()[1]!);
    await store.close();

    const again = open(dir);
    expect(again.fragments().map((f) => f.number)).toEqual(numbers);
    expect(again.fragments().map((f) => f.ordinal)).toEqual([1, 2]);
    expect(await again.read(again.get(numbers[1]!)!)).toEqual(bytes);
    expect(again.header(header.id)?.tracks).toEqual(headerParts().tracks);
    expect(again.addHeader(headerParts()).id).toBe(header.id); // the same header is not stored twice
    const next = await add(again, header.id, T0 + 2000);
    expect(BigInt(next) > BigInt(numbers[1]!)).toBe(true);
    expect(again.fragments().at(-1)!.ordinal).toBe(3);
    await again.close();
  });

  it('forgets a fragment whose bytes were torn off the segment file by a crash, and keeps the ones before it', async () => {
    const dir = tempDir();
    const store = open(dir);
    const { id } = store.addHeader(headerParts());
    const kept = await add(store, id, T0);
    await add(store, id, T0 + 1000);
    await store.close();
    const streamFiles = readdirSync(dir).filter((f) => f.startsWith('clusters-'));
    const segment = join(dir, streamFiles[0]!);
    truncateSync(segment, statSync(segment).size - 10);
    const again = open(dir);
    expect(again.fragments().map((f) => f.number)).toEqual([kept]);
    await again.close();
  });

  it('trims fragments past the retention and deletes the segment files no live fragment is in', async () => {
    const dir = tempDir();
    const store = open(dir, { segmentBytes: 1 }); // one fragment per segment file
    const { id } = store.addHeader(headerParts());
    for (let i = 0; i < 4; i++) await add(store, id, T0 + i * HOUR);
    expect(readdirSync(dir).filter((f) => f.startsWith('clusters-'))).toHaveLength(4);
    store.trim(T0 + 3 * HOUR + 1, 2); // keep 2 hours: the first two fragments are older
    expect(store.fragments().map((f) => f.serverTimestampMs)).toEqual([T0 + 2 * HOUR, T0 + 3 * HOUR]);
    expect(readdirSync(dir).filter((f) => f.startsWith('clusters-'))).toHaveLength(2);
    await store.close();
    // Reopened later with the same retention: what expired meanwhile is gone too.
    const again = open(dir);
    again.trim(T0 + 4 * HOUR + 1, 2);
    expect(again.fragments().map((f) => f.serverTimestampMs)).toEqual([T0 + 3 * HOUR]);
    await again.close();
  });

  it('keeps fragment numbers increasing across a restart after every fragment was trimmed', async () => {
    const dir = tempDir();
    const store = open(dir);
    const { id } = store.addHeader(headerParts());
    // Server time far ahead of the producer's, so the numbers' time floor would not keep them increasing.
    const last = await add(store, id, T0 + 10 * HOUR);
    store.trim(T0 + 20 * HOUR, 1);
    expect(store.fragments()).toEqual([]);
    await store.close();
    const again = open(dir);
    const { number } = again.assignNumber(T0);
    expect(BigInt(number) > BigInt(last)).toBe(true);
    await again.close();
  });

  it('holds fragments of a stream without retention in memory for 5 minutes only, and never writes them to disk', async () => {
    const dir = tempDir();
    const store = open(dir);
    const { id } = store.addHeader(headerParts());
    await add(store, id, T0, false);
    expect(readdirSync(dir).filter((f) => f.startsWith('clusters-'))).toEqual([]);
    store.trim(T0 + 5 * 60_000, 0);
    expect(store.fragments()).toHaveLength(1);
    store.trim(T0 + 5 * 60_000 + 1, 0);
    expect(store.fragments()).toEqual([]);
    await store.close();
  });

  it('in memory mode drops the oldest fragments once their bytes exceed the memory cap', async () => {
    const store = open(undefined, { memoryLimitBytes: fragment(T0).length * 2 });
    const { id } = store.addHeader(headerParts());
    for (let i = 0; i < 3; i++) await add(store, id, T0 + i * 1000);
    store.trim(T0 + 3000, 24);
    expect(store.fragments().map((f) => f.fragmentTimecode)).toEqual([T0 + 1000, T0 + 2000]);
    await store.close();
  });

  it('wakes a waiting reader on every append and when the store closes', async () => {
    const store = open(undefined);
    const { id } = store.addHeader(headerParts());
    const woken = store.waitForAppend();
    await add(store, id, T0);
    await woken;
    const onClose = store.waitForAppend();
    await store.close();
    await onClose;
    expect(store.isClosed).toBe(true);
  });
});
