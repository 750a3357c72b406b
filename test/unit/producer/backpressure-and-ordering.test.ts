/**
 * Bounded memory (put waits or is refused; the sender holds a bounded window), the spool's onFull
 * policies seen through the producer, per-key ordering across retries, and close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type DroppedEvent, type Producer, type ProducerOptions } from '../../../src/index.js';
import { seededRng } from '../../helpers/seeded-rng.js';
import { failedOutcome, FakeKinesis, settle, until, VirtualTime } from './helpers.js';

let time: VirtualTime;
const producers: Producer[] = [];

afterEach(async () => {
  for (const producer of producers.splice(0)) await producer.close({ timeoutMs: 0 });
  await time?.stop();
});

async function start(transport: FakeKinesis, options: Partial<ProducerOptions> = {}): Promise<Producer> {
  time = new VirtualTime();
  time.start();
  const producer = await createProducer({
    sink: { type: 'kinesis', streamName: 'telemetry', rateLimit: false },
    transport,
    clock: time.clock,
    sleep: time.sleep,
    rng: seededRng(5),
    ...options,
  });
  producers.push(producer);
  return producer;
}

function stalled(kinesis: FakeKinesis): () => void {
  let release!: () => void;
  kinesis.stall = new Promise<void>((resolve) => (release = resolve));
  return () => {
    kinesis.stall = undefined;
    release();
  };
}

const tinySpool = { maxBytes: 4096, maxSegmentBytes: 1024 } as const;
const body = (i: number): string => `record-${String(i).padStart(4, '0')}-${'.'.repeat(80)}`;

describe('backpressure and the full spool', () => {
  it('put waits for room instead of growing the heap when the spool is full (onFull block)', async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis, { spool: { ...tinySpool, onFull: 'block' } });
    let accepted = 0;
    const puts = Array.from({ length: 100 }, (_, i) => producer.put(body(i), { partitionKey: `k${i % 3}` }).then(() => (accepted += 1)));
    await settle(20);
    const stats = producer.stats();
    expect(accepted).toBeLessThan(100);
    expect(stats.spool.bytes).toBeLessThanOrEqual(tinySpool.maxBytes);
    expect(stats.rejected).toEqual({});
    release();
    await Promise.all(puts);
    await producer.flush();
    expect(kinesis.storedData().sort()).toEqual(Array.from({ length: 100 }, (_, i) => body(i)).sort());
  });

  it('onFull reject: put fails with SPOOL_FULL, and the refusal is counted', async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis, { spool: { ...tinySpool, onFull: 'reject' } });
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => producer.put(body(i), { partitionKey: 'k' })));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => (r.reason as { code: string }).code === 'SPOOL_FULL')).toBe(true);
    expect((refused[0]!.reason as Error).message).toContain('maxBytes');
    expect(producer.stats().rejected.SPOOL_FULL).toBe(refused.length);
    expect(producer.stats().accepted).toBe(100 - refused.length);
    release();
    await producer.flush();
    expect(kinesis.stored).toHaveLength(100 - refused.length);
  });

  it('onFull drop-oldest: every drop is counted in stats, in the metrics and in a dropped event', async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis, { spool: { ...tinySpool, onFull: 'drop-oldest' }, maxHeldRecords: 5 });
    const dropped: DroppedEvent[] = [];
    producer.on('dropped', (e) => dropped.push(e));
    for (let i = 0; i < 200; i++) await producer.put(body(i), { partitionKey: 'k' });
    const counted = producer.stats().dropped['spool-full'];
    expect(counted).toBeGreaterThan(100);
    expect(dropped.reduce((sum, e) => sum + e.records, 0)).toBe(counted);
    expect(dropped.every((e) => e.reason === 'spool-full')).toBe(true);
    expect(producer.metrics()).toContain(`kedge_producer_records_dropped_total{sink="kinesis",stream="telemetry",reason="spool-full"} ${counted}`);
    release();
    await producer.flush();
    const stored = kinesis.storedData();
    // Nothing vanished: each accepted record was delivered (once) or counted as dropped (an upper bound).
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.length + counted).toBeGreaterThanOrEqual(200);
    expect(stored).toContain(body(199));
  });

  it("backpressure 'block': puts beyond maxPendingPuts wait at the gate, then each is accepted, stored once and in put order", async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, { ordering: 'per-key', backpressure: { maxPendingPuts: 3, onBackpressure: 'block' } });
    // One event-loop turn of puts: three go into this turn's append, the others wait and join later ones.
    const puts = Array.from({ length: 50 }, (_, i) => producer.put(body(i), { partitionKey: 'k' }));
    await Promise.all(puts);
    expect(producer.stats().accepted).toBe(50);
    await producer.flush();
    expect(kinesis.storedData()).toEqual(Array.from({ length: 50 }, (_, i) => body(i)));
    expect(producer.stats().spool.nextSeq).toBe(51);
  });

  it("backpressure 'reject': put fails with PRODUCER_BACKPRESSURE once too many puts wait for the spool", async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis, { spool: { ...tinySpool, onFull: 'block' }, backpressure: { maxPendingPuts: 20, onBackpressure: 'reject' } });
    const results = Array.from({ length: 200 }, (_, i) => producer.put(body(i), { partitionKey: 'k' }).then(() => 'ok', (e: { code: string }) => e.code));
    await settle(10);
    release();
    const outcomes = await Promise.all(results);
    expect(outcomes.filter((o) => o === 'PRODUCER_BACKPRESSURE').length).toBeGreaterThan(100);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(20);
    expect(producer.stats().rejected.PRODUCER_BACKPRESSURE).toBe(outcomes.filter((o) => o === 'PRODUCER_BACKPRESSURE').length);
  });

  it('memory stays bounded while a backlog drains: the sender never holds more than maxHeldRecords', async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis, { maxHeldRecords: 300, maxHeldBytes: 1 << 20 });
    await Promise.all(Array.from({ length: 5000 }, (_, i) => producer.put(`r${i}`, { partitionKey: `k${i % 50}` })));
    let maxHeld = 0;
    kinesis.respond = () => {
      maxHeld = Math.max(maxHeld, producer.stats().held);
      return undefined;
    };
    await settle(10);
    expect(producer.stats().held).toBeLessThanOrEqual(300);
    release();
    await producer.flush();
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(300);
    expect(kinesis.stored).toHaveLength(5000);
  });
});

describe('ordering', () => {
  async function runWithFailures(ordering: 'per-key' | 'none'): Promise<{ kinesis: FakeKinesis; keys: string[] }> {
    const kinesis = new FakeKinesis();
    const rng = seededRng(99);
    // A third of the entries fail in the first 30 requests (throttles and internal failures).
    kinesis.respond = (entries, call) =>
      call <= 30 ? entries.map(() => (rng.next() < 0.33 ? failedOutcome(rng.next() < 0.5 ? 'InternalFailure' : 'ProvisionedThroughputExceededException') : { ok: true })) : undefined;
    const producer = await start(kinesis, { ordering, sink: { type: 'kinesis', streamName: 'telemetry', rateLimit: false, maxAggregateBytes: 600 } });
    const keys = Array.from({ length: 8 }, (_, k) => `device-${k}`);
    for (let i = 0; i < 400; i++) {
      void producer.put(`${keys[i % keys.length]}:${String(i).padStart(4, '0')}`, { partitionKey: keys[i % keys.length]! });
      if (i % 40 === 39) await settle(2);
    }
    await producer.flush();
    return { kinesis, keys };
  }

  const inOrder = (kinesis: FakeKinesis, key: string): boolean => {
    const seqs = kinesis.stored.filter((r) => r.partitionKey === key).map((r) => Number(r.data.split(':')[1]));
    return seqs.every((s, i) => i === 0 || s > seqs[i - 1]!);
  };

  it("ordering 'per-key' keeps each partition key's records in order across retries, each stored once", async () => {
    const { kinesis, keys } = await runWithFailures('per-key');
    expect(kinesis.stored).toHaveLength(400);
    expect(new Set(kinesis.storedData()).size).toBe(400);
    for (const key of keys) expect(inOrder(kinesis, key)).toBe(true);
  });

  it('without per-key ordering the same failures let newer records overtake retried ones (throughput first)', async () => {
    const { kinesis, keys } = await runWithFailures('none');
    expect(kinesis.stored).toHaveLength(400);
    expect(keys.some((key) => !inOrder(kinesis, key))).toBe(true);
  });
});

describe('closing', () => {
  it('close() with a memory spool counts the records it could not deliver as dropped', async () => {
    const kinesis = new FakeKinesis();
    const release = stalled(kinesis);
    const producer = await start(kinesis);
    const dropped: DroppedEvent[] = [];
    producer.on('dropped', (e) => dropped.push(e));
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.put(`r${i}`, { partitionKey: 'k' })));
    await producer.close({ timeoutMs: 0 });
    release();
    expect(producer.stats().dropped['memory-spool-closed']).toBe(10);
    expect(dropped).toEqual([{ records: 10, reason: 'memory-spool-closed' }]);
    expect(producer.stats().state).toBe('closed');
  });

  it('a flush still waiting when the producer closes is rejected with PRODUCER_CLOSED, not left hanging', async () => {
    const kinesis = new FakeKinesis();
    stalled(kinesis);
    const producer = await start(kinesis);
    await producer.put('stuck', { partitionKey: 'k' });
    const flushing = producer.flush();
    await producer.close({ timeoutMs: 0 });
    await expect(flushing).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
  });

  it('put after close is refused with PRODUCER_CLOSED', async () => {
    const producer = await start(new FakeKinesis());
    await producer.close();
    await expect(producer.put('late', { partitionKey: 'k' })).rejects.toMatchObject({ code: 'PRODUCER_CLOSED' });
    expect(producer.stats().rejected.PRODUCER_CLOSED).toBe(1);
  });

  it('close() delivers what was accepted before it closes', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    await Promise.all(Array.from({ length: 30 }, (_, i) => producer.put(`r${i}`, { partitionKey: `k${i}` })));
    await producer.close();
    expect(kinesis.stored).toHaveLength(30);
    await until(() => producer.stats().state === 'closed', 'closed');
  });
});
