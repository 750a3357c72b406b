/**
 * The streams of the target and their settings, persisted as a journal of whole records
 * (`video/streams.journal`: upserts and deletes, compacted on open). Holds metadata only; fragments live
 * in each stream's FragmentStore.
 */
import { join } from 'node:path';
import type { Rng } from '../../core/clock.js';
import { Journal } from '../store/journal.js';
import type { VideoStreamInfo } from './model.js';

const UPSERT = 1;
const DELETE = 2;
const VERSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class StreamRegistry {
  private readonly streams = new Map<string, VideoStreamInfo>();

  private constructor(
    private readonly journal: Journal | undefined,
    private readonly rng: Rng,
  ) {}

  /** `dir` undefined: memory only. */
  static open(dir: string | undefined, rng: Rng): StreamRegistry {
    if (dir === undefined) return new StreamRegistry(undefined, rng);
    const { journal, entries } = Journal.open(join(dir, 'streams.journal'), { fsync: 'always' });
    const registry = new StreamRegistry(journal, rng);
    for (const e of entries) {
      const record = JSON.parse(e.payload.toString('utf8')) as VideoStreamInfo;
      if (e.type === UPSERT) registry.streams.set(record.name, record);
      else if (e.type === DELETE) registry.streams.delete(record.name);
    }
    if (entries.length > registry.streams.size) journal.rewrite([...registry.streams.values()].map(upsertEntry));
    return registry;
  }

  get(name: string): VideoStreamInfo | undefined {
    return this.streams.get(name);
  }

  /** Every stream, sorted by name (ListStreams pages through them in this order). */
  list(): VideoStreamInfo[] {
    return [...this.streams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get size(): number {
    return this.streams.size;
  }

  /** Adds or replaces a record; durable on return. */
  put(record: VideoStreamInfo): void {
    this.journal?.append(UPSERT, Buffer.from(JSON.stringify(record)));
    this.streams.set(record.name, record);
  }

  delete(name: string): void {
    const record = this.streams.get(name);
    if (record === undefined) return;
    this.journal?.append(DELETE, Buffer.from(JSON.stringify({ name })));
    this.streams.delete(name);
  }

  /** A fresh opaque version string (AWS's look like 20 letters and digits). */
  newVersion(): string {
    let out = '';
    for (let i = 0; i < 20; i++) out += VERSION_ALPHABET[Math.floor(this.rng.next() * VERSION_ALPHABET.length)];
    return out;
  }

  close(): void {
    this.journal?.close();
  }
}

function upsertEntry(record: VideoStreamInfo): { type: number; payload: Buffer } {
  return { type: UPSERT, payload: Buffer.from(JSON.stringify(record)) };
}
