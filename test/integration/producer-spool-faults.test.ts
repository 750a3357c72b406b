/**
 * The producer's disk spool under damage and pressure, end to end into our target:
 * - torn and corrupted segment files: the restart truncates the torn tail, skips the corrupt entry
 *   (detected by checksum), counts both, and delivers every intact record exactly once;
 * - a restart resumes from the acknowledged low-water mark: what the first run delivered is not sent again;
 * - the spool hitting maxBytes under each onFull policy, while the link is held shut.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type DroppedEvent, type Producer, type ProducerOptions } from '../../src/index.js';
import type { EntryOutcome, SinkEntry, SinkTransport } from '../../src/pipeline/producer/transport.js';
import { KinesisTransport } from '../../src/sinks/kinesis/index.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../helpers/target.js';
import { createStream, readStream, tally } from './producer-helpers.js';

let target: TestTarget | undefined;
const producers: Producer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  await target?.close();
  target = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-producer-spool-'));
  dirs.push(dir);
  return dir;
}

/** The real Kinesis transport behind a gate the test opens: a link that is down until it is not. */
class GatedTransport implements SinkTransport {
  readonly kind = 'kinesis' as const;
  #open = false;
  #waiters: Array<() => void> = [];
  constructor(private readonly inner: KinesisTransport) {}
  describe(): string {
    return this.inner.describe();
  }
  open(): void {
    this.#open = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }
  async listShards(signal?: AbortSignal) {
    return this.inner.listShards(signal);
  }
  async send(entries: readonly SinkEntry[], signal?: AbortSignal): Promise<readonly EntryOutcome[]> {
    if (!this.#open) {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push(resolve);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return this.inner.send(entries, signal);
  }
  destroy(): void {
    this.inner.destroy();
  }
}

async function withStream(name: string): Promise<TestTarget> {
  target = await startTestTarget({ memory: true, limits: false });
  await createStream(target.kinesis, name, 2);
  return target;
}

function gated(t: TestTarget, stream: string): GatedTransport {
  return new GatedTransport(new KinesisTransport({ streamName: stream, aws: { endpoint: t.url, region: TEST_REGION, credentials: TEST_CREDENTIALS } }));
}

async function open(options: ProducerOptions): Promise<Producer> {
  const producer = await createProducer(options);
  producers.push(producer);
  return producer;
}

const recordText = (i: number): string => `record-${String(i).padStart(5, '0')}-${'p'.repeat(60)}`;

describe('producer spool: damage and restarts', () => {
  it('a restart skips a corrupt entry and a torn tail (both counted) and delivers every intact record exactly once', async () => {
    const t = await withStream('damaged');
    const dir = tempDir();
    // Run 1: the link never opens; 500 records wait in the spool when the process ends.
    const first = await open({ sink: { type: 'kinesis', streamName: 'damaged' }, transport: gated(t, 'damaged'), spool: { dir, fsync: 'always' } });
    await Promise.all(Array.from({ length: 500 }, (_, i) => first.put(recordText(i), { partitionKey: `k${i % 9}` })));
    await first.close({ timeoutMs: 0 });

    // Damage: flip a byte inside record 100's data, and leave half an entry at the end (a write cut by a crash).
    const segments = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
    const firstSegment = join(dir, segments[0]!);
    const bytes = readFileSync(firstSegment);
    const at = bytes.indexOf(recordText(100));
    expect(at).toBeGreaterThan(0);
    bytes[at + 20] = bytes[at + 20]! ^ 0xff;
    writeFileSync(firstSegment, bytes);
    appendFileSync(join(dir, segments.at(-1)!), Buffer.from([0x4b, 0x53, 0x45, 0x01, 0x20, 0, 0, 0, 1, 2, 3]));

    // Run 2: opens the damaged spool and delivers.
    const second = await open({ sink: { type: 'kinesis', streamName: 'damaged' }, aws: { endpoint: t.url, region: TEST_REGION, credentials: TEST_CREDENTIALS }, spool: { dir } });
    const dropped: DroppedEvent[] = [];
    second.on('dropped', (e) => dropped.push(e));
    expect(second.stats().recovered).toBe(500);
    expect(second.stats().spool.tornBytesTruncated).toBe(11);
    await second.flush();
    const stats = second.stats();
    expect(stats.dropped.corrupt).toBe(1);
    expect(stats.spool.corruptEntriesSkipped).toBe(1);
    expect(dropped).toEqual([{ records: 1, reason: 'corrupt' }]);
    expect(stats.delivered).toBe(499);
    expect(stats.spool.entries).toBe(0);

    const back = await readStream(t.kinesis, 'damaged');
    const counts = tally(back.records.map((r) => r.data));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: 500 }, (_, i) => recordText(i)).filter((_, i) => i !== 100));
  });

  it('a restart resumes from the acknowledged low-water mark: what was delivered is not sent again', async () => {
    const t = await withStream('resume');
    const dir = tempDir();
    const aws = { endpoint: t.url, region: TEST_REGION, credentials: TEST_CREDENTIALS };
    const first = await open({ sink: { type: 'kinesis', streamName: 'resume' }, aws, spool: { dir } });
    await Promise.all(Array.from({ length: 3000 }, (_, i) => first.put(recordText(i), { partitionKey: `k${i % 9}` })));
    await first.flush();
    await first.close();
    // Run 2 puts more; only those are sent.
    const second = await open({ sink: { type: 'kinesis', streamName: 'resume' }, aws, spool: { dir } });
    expect(second.stats().recovered).toBe(0);
    expect(second.stats().spool.ackedThrough).toBe(3000);
    await Promise.all(Array.from({ length: 100 }, (_, i) => second.put(recordText(3000 + i), { partitionKey: 'k' })));
    await second.flush();
    expect(second.stats().delivered).toBe(100);
    const back = await readStream(t.kinesis, 'resume');
    expect(back.records).toHaveLength(3100);
    expect(tally(back.records.map((r) => r.data)).size).toBe(3100);
  });
});

describe('producer spool at maxBytes', () => {
  const spool = { maxBytes: 64 * 1024, maxSegmentBytes: 16 * 1024, fsync: 'interval' } as const;
  const total = 2000;

  async function fill(policy: 'block' | 'reject' | 'drop-oldest'): Promise<{ producer: Producer; transport: GatedTransport; t: TestTarget; settled: Promise<Array<'ok' | string>> }> {
    const t = await withStream(`full-${policy}`);
    const transport = gated(t, `full-${policy}`);
    const producer = await open({ sink: { type: 'kinesis', streamName: `full-${policy}` }, transport, spool: { dir: tempDir(), ...spool, onFull: policy } });
    const results: Promise<'ok' | string>[] = [];
    for (let i = 0; i < total; i++) {
      results.push(producer.put(recordText(i), { partitionKey: `k${i % 5}` }).then(() => 'ok' as const, (e: { code: string }) => e.code));
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    return { producer, transport, t, settled: Promise.all(results) };
  }

  it("'block': put waits for room while the link is down, and every record is delivered once it is back", async () => {
    const { producer, transport, t, settled } = await fill('block');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(producer.stats().accepted).toBeLessThan(total);
    expect(producer.stats().spool.bytes).toBeLessThanOrEqual(spool.maxBytes);
    transport.open();
    expect((await settled).every((r) => r === 'ok')).toBe(true);
    await producer.flush();
    const back = await readStream(t.kinesis, 'full-block');
    expect(tally(back.records.map((r) => r.data)).size).toBe(total);
    expect(back.records).toHaveLength(total);
  });

  it("'reject': put fails with SPOOL_FULL once the spool is full; every accepted record is delivered once", async () => {
    const { producer, transport, t, settled } = await fill('reject');
    const outcomes = await settled;
    const refused = outcomes.filter((o) => o === 'SPOOL_FULL').length;
    expect(refused).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'SPOOL_FULL')).toEqual([]);
    expect(producer.stats().rejected.SPOOL_FULL).toBe(refused);
    transport.open();
    await producer.flush();
    const accepted = outcomes.flatMap((o, i) => (o === 'ok' ? [recordText(i)] : []));
    const back = await readStream(t.kinesis, 'full-reject');
    expect(back.records.map((r) => r.data).sort()).toEqual(accepted.sort());
  });

  it("'drop-oldest': the oldest records are dropped and every drop is counted; the rest is delivered once", async () => {
    const { producer, transport, t, settled } = await fill('drop-oldest');
    const dropped: DroppedEvent[] = [];
    producer.on('dropped', (e) => dropped.push(e));
    expect((await settled).every((r) => r === 'ok')).toBe(true);
    const counted = producer.stats().dropped['spool-full'];
    expect(counted).toBeGreaterThan(0);
    transport.open();
    await producer.flush();
    const back = await readStream(t.kinesis, 'full-drop-oldest');
    const counts = tally(back.records.map((r) => r.data));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Nothing vanished silently: delivered plus counted drops covers every accepted record.
    expect(counts.size + counted).toBeGreaterThanOrEqual(total);
    expect(counts.has(recordText(total - 1))).toBe(true);
    expect(producer.metrics()).toMatch(/kedge_producer_records_dropped_total\{sink="kinesis",stream="full-drop-oldest",reason="spool-full"\} [1-9]/);
  });
});
