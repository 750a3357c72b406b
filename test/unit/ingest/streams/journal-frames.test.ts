/** The journal features the streams store relies on: in-place frames, entry views, streaming rewrite, torn tails. */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allocFrame, Journal } from '../../../../src/ingest/store/journal.js';
import { tempDir } from './harness.js';

const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
function path(): string {
  const d = tempDir();
  dirs.push(d);
  return join(d.path, 'j.journal');
}

describe('journal frames', () => {
  it('replays a frame filled in place exactly like an appended payload', () => {
    const file = path();
    const { journal } = Journal.open(file);
    const prepared = allocFrame(5);
    prepared.payload.write('hello');
    journal.appendFrame(7, prepared);
    journal.append(8, Buffer.from('world'));
    journal.close();
    const { journal: again, entries } = Journal.open(file);
    again.close();
    expect(entries.map((e) => [e.type, e.payload.toString()])).toEqual([[7, 'hello'], [8, 'world']]);
  });

  it('hands out views into the file\'s buffer with entryViews', () => {
    const file = path();
    const { journal } = Journal.open(file);
    journal.append(1, Buffer.from('a'));
    journal.append(1, Buffer.from('b'));
    journal.close();
    const views = Journal.open(file, { entryViews: true });
    views.journal.close();
    const [a, b] = views.entries.map((e) => e.payload);
    expect(a!.buffer).toBe(b!.buffer);
    expect(b!.byteOffset - a!.byteOffset).toBe(10); // 9-byte header + 1-byte payload: adjacent in the file
  });

  it('rewrites from a lazy iterable and keeps appending after it', () => {
    const file = path();
    const { journal } = Journal.open(file);
    for (let i = 0; i < 10; i++) journal.append(1, Buffer.alloc(1000, i));
    function* live() {
      yield { type: 2, payload: Buffer.from('kept') };
    }
    journal.rewrite(live());
    expect(statSync(file).size).toBe(9 + 4);
    journal.append(3, Buffer.from('next'));
    journal.close();
    const { journal: again, entries } = Journal.open(file);
    again.close();
    expect(entries.map((e) => [e.type, e.payload.toString()])).toEqual([[2, 'kept'], [3, 'next']]);
  });

  it('cuts a torn tail and counts what it cut', () => {
    const file = path();
    const { journal } = Journal.open(file);
    journal.append(1, Buffer.from('whole'));
    journal.close();
    appendFileSync(file, Buffer.from([50, 0, 0, 0, 9, 9, 9, 9, 1, 120]));
    const { journal: again, entries, discardedBytes } = Journal.open(file);
    again.close();
    expect(entries).toHaveLength(1);
    expect(discardedBytes).toBe(10);
    expect(readFileSync(file).length).toBe(9 + 5);
  });

  it('flushes on the interval without blocking appends, and closes cleanly while a flush may be running', async () => {
    const file = path();
    const { journal } = Journal.open(file, { fsync: 'interval', fsyncIntervalMs: 5 });
    for (let i = 0; i < 20; i++) {
      journal.append(1, Buffer.alloc(100_000, i));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    journal.close();
    const { journal: again, entries } = Journal.open(file);
    again.close();
    expect(entries).toHaveLength(20);
  });
});
