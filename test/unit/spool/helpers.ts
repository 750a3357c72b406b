/** Shared helpers for the spool tests: temp dirs, a seeded RNG, payloads, draining a spool. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spool, SpoolEntry } from '../../../src/spool/index.js';

export const ENTRY_HEADER = 24;

export class TempDirs {
  private readonly dirs: string[] = [];

  make(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-spool-'));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** mulberry32: a small deterministic PRNG for seeded tests. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A recognisable payload of exactly `size` bytes. */
export function payload(i: number, size = 100): Buffer {
  const out = Buffer.alloc(size, 0x2e);
  out.write(`entry-${i}`, 0, 'latin1');
  return out;
}

export function label(entry: SpoolEntry): string {
  return entry.payload.toString('latin1').replace(/\.+$/, '');
}

/** Reads every entry from `fromSeq` on, page by page. */
export async function readAll(spool: Spool, fromSeq = 1, pageEntries = 1000): Promise<SpoolEntry[]> {
  const all: SpoolEntry[] = [];
  let next = fromSeq;
  for (;;) {
    const page = await spool.read(next, { maxEntries: pageEntries });
    all.push(...page.entries);
    if (page.entries.length === 0) return all;
    next = page.next;
  }
}

export function seqsOf(entries: readonly SpoolEntry[]): number[] {
  return entries.map((e) => e.seq);
}

export function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The pid of a process that has already exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

/**
 * Makes the directory look as if its owner died without closing: the lock names a dead process. The
 * abandoned Spool object is simply never used again (callers sync() first so it has nothing pending).
 */
export function abandonDirectory(dir: string): void {
  writeFileSync(join(dir, 'lock'), `${deadPid()}\n`);
}

/** Lets queued I/O callbacks and microtasks run. */
export async function turns(count = 10): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}
