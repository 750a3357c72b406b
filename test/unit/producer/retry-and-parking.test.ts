/**
 * Retries (full-jitter backoff, retry budget, TTL), configuration errors (park, re-check, resume) and
 * the deleted stream (dead-letter after a bounded time), all on virtual time with an injected RNG.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer, type ProducerOptions, type RetriedEvent } from '../../../src/index.js';
import { seededRng } from '../../helpers/seeded-rng.js';
import { awsError, failedOutcome, FakeKinesis, VirtualTime } from './helpers.js';

let time: VirtualTime;
const producers: Producer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const producer of producers.splice(0)) await producer.close({ timeoutMs: 0 });
  await time?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-producer-'));
  dirs.push(dir);
  return dir;
}

async function start(transport: FakeKinesis, options: Partial<ProducerOptions> = {}): Promise<Producer> {
  time = new VirtualTime();
  time.start();
  const producer = await createProducer({
    sink: { type: 'kinesis', streamName: 'telemetry', rateLimit: false },
    transport,
    clock: time.clock,
    sleep: time.sleep,
    rng: seededRng(11),
    ...options,
  });
  producers.push(producer);
  return producer;
}

function collect<T>(producer: Producer, event: 'retried' | 'parked' | 'resumed' | 'dead-lettered'): T[] {
  const seen: T[] = [];
  producer.on(event, (e: unknown) => seen.push(e as T));
  return seen;
}

describe('retries', () => {
  it('backs off with full jitter: the delay before retry n is rng × min(cap, base × 2^n)', async () => {
    const kinesis = new FakeKinesis();
    const half = { next: () => 0.5 };
    const producer = await start(kinesis, { rng: half, retry: { budget: false, backoff: { baseMs: 100, throttledBaseMs: 400, capMs: 3000 } } });
    const retried = collect<RetriedEvent>(producer, 'retried');
    kinesis.respond = (entries, call) => (call <= 6 ? entries.map(() => failedOutcome('ProvisionedThroughputExceededException')) : undefined);
    await producer.put('x', { partitionKey: 'k' });
    await producer.flush();
    expect(retried.map((e) => e.delayMs)).toEqual([200, 400, 800, 1500, 1500, 1500]);
    expect(retried.every((e) => e.errorClass === 'throttled' && e.code === 'ProvisionedThroughputExceededException')).toBe(true);
    expect(kinesis.stored).toHaveLength(1);
  });

  it('a retry budget stops a retry storm: once spent, retries wait until time refills it, and nothing is dropped', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, {
      rng: { next: () => 0.5 },
      retry: { budget: { capacity: 10, retryCost: 5, refillTokensPerSecond: 1 }, backoff: { throttledBaseMs: 100 } },
    });
    const retried = collect<RetriedEvent>(producer, 'retried');
    kinesis.respond = (_entries, call) => (call <= 4 ? awsError('ProvisionedThroughputExceededException', 'Rate exceeded for shard') : undefined);
    await producer.put('x', { partitionKey: 'k' });
    await producer.flush();
    const delays = retried.map((e) => e.delayMs);
    // Two retries from the budget (50 ms, 100 ms); the third waits for ~5 s of refill (one retry's cost),
    // after which the fourth can be paid for and backs off normally.
    expect(delays.slice(0, 2)).toEqual([50, 100]);
    expect(delays[2]).toBeGreaterThanOrEqual(4000);
    expect(delays[3]).toBe(400);
    expect(kinesis.stored).toHaveLength(1);
  });

  it('a link down for ten (virtual) minutes costs a bounded number of attempts, keeps running and loses nothing', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    const downUntil = time.now + 10 * 60_000;
    kinesis.respond = () => (time.now < downUntil ? Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4567'), { code: 'ECONNREFUSED' }) : undefined);
    await Promise.all(Array.from({ length: 500 }, (_, i) => producer.put(`r${i}`, { partitionKey: `k${i % 20}` })));
    await producer.flush();
    expect(time.now).toBeGreaterThanOrEqual(downUntil);
    // Full-jitter backoff capped at 20 s plus the retry budget: tens of attempts in ten minutes, not a spin.
    expect(kinesis.requests.length).toBeLessThan(200);
    expect(producer.stats().state).toBe('running');
    expect(producer.stats().possibleDuplicates).toBe(0); // connection refused: nothing was sent
    expect(kinesis.storedData().sort()).toEqual(Array.from({ length: 500 }, (_, i) => `r${i}`).sort());
  });

  it('a request that timed out is retried and its records are reported as possible duplicates', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    kinesis.respond = (_entries, call) => (call === 1 ? Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }) : undefined);
    await Promise.all(['a', 'b', 'c'].map((d) => producer.put(d, { partitionKey: 'k' })));
    await producer.flush();
    expect(producer.stats().possibleDuplicates).toBe(3);
    expect(kinesis.storedData().sort()).toEqual(['a', 'b', 'c']);
  });

  it('records past their TTL are dead-lettered with RECORD_EXPIRED instead of retried for ever', async () => {
    const kinesis = new FakeKinesis();
    const dir = tempDir();
    const deadLetterPath = join(dir, 'dlq.jsonl');
    const producer = await start(kinesis, { recordTtlMs: 30_000, deadLetterPath });
    kinesis.respond = (entries) => entries.map(() => failedOutcome('InternalFailure'));
    await producer.put('late', { partitionKey: 'k' });
    await producer.flush();
    const lines = readFileSync(deadLetterPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'RECORD_EXPIRED', partitionKey: 'k', data: Buffer.from('late').toString('base64'), destination: 'Kinesis stream fake' });
    expect(String(lines[0]!.reason)).toContain('30000 ms');
    expect(time.now - Date.UTC(2026, 0, 1)).toBeGreaterThanOrEqual(30_000);
    expect(producer.stats().deadLettered).toBe(1);
  });

  it('gives up after retry.maxAttempts and dead-letters with the last error', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, { retry: { maxAttempts: 3 } });
    const dead = collect<{ code: string; reason: string; records: number; lines?: unknown[] }>(producer, 'dead-lettered');
    kinesis.respond = (entries) => entries.map(() => failedOutcome('InternalFailure'));
    await producer.put('x', { partitionKey: 'k' });
    await producer.flush();
    expect(kinesis.requests).toHaveLength(3);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'ATTEMPTS_EXHAUSTED', records: 1 });
    expect(dead[0]!.reason).toContain('InternalFailure');
    // A memory spool without a dead-letter path reports the lines in the event.
    expect(dead[0]!.lines).toHaveLength(1);
  });
});

describe('configuration errors', () => {
  it('park the data and re-check with growing delays instead of spinning, then resume', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis, { parking: { checkIntervalMs: 5_000, maxCheckIntervalMs: 60_000 } });
    const parked = collect<{ code: string; checks: number; state: string }>(producer, 'parked');
    const resumed = collect<{ code: string; parkedMs: number }>(producer, 'resumed');
    const callTimes: number[] = [];
    kinesis.respond = (_entries, call) => {
      callTimes.push(time.now);
      return call <= 6 ? awsError('AccessDeniedException', 'User is not authorized to perform: kinesis:PutRecords') : undefined;
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => producer.put(`r${i}`, { partitionKey: `k${i % 5}` })));
    await producer.flush();

    expect(parked.map((e) => e.checks)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parked.every((e) => e.code === 'AccessDeniedException' && e.state === 'parked')).toBe(true);
    const gaps = callTimes.slice(1).map((t, i) => t - callTimes[i]!);
    // Jittered in [ceiling/2, ceiling) with ceilings 5 s, 10 s, 20 s, 40 s, 60 s, 60 s.
    const ceilings = [5_000, 10_000, 20_000, 40_000, 60_000, 60_000];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(ceilings[i]! / 2);
      expect(gap).toBeLessThanOrEqual(ceilings[i]! + 200);
    });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.code).toBe('AccessDeniedException');
    expect(kinesis.stored).toHaveLength(50);
    expect(producer.stats().state).toBe('running');
    expect(producer.stats().deadLettered).toBe(0);
  });

  it('stats() reports the parked state and reason while the data waits in the spool', async () => {
    const kinesis = new FakeKinesis();
    const producer = await start(kinesis);
    kinesis.respond = () => awsError('KMSDisabledException', 'The KMS key is disabled');
    await producer.put('kept', { partitionKey: 'k' });
    await expect(producer.flush({ timeoutMs: 60_000 })).rejects.toMatchObject({ code: 'FLUSH_TIMEOUT' });
    const stats = producer.stats();
    expect(stats.state).toBe('parked');
    expect(stats.parked).toMatchObject({ code: 'KMSDisabledException', message: 'The KMS key is disabled' });
    expect(stats.spool.entries).toBe(1);
    expect(stats.deadLettered).toBe(0);
    // A handful of checks over a virtual minute, not a spin.
    expect(kinesis.requests.length).toBeLessThanOrEqual(6);
  });

  it('a deleted stream is dead-lettered with the reason once the error persisted for the configured checks and time', async () => {
    const kinesis = new FakeKinesis();
    const dir = tempDir();
    const deadLetterPath = join(dir, 'dead.jsonl');
    const producer = await start(kinesis, { deadLetterPath, parking: { checkIntervalMs: 1_000, deadLetterAfterChecks: 4, deadLetterAfterMs: 20_000 } });
    const parked = collect<{ state: string; checks: number }>(producer, 'parked');
    let deleted = true;
    kinesis.respond = () => (deleted ? awsError('ResourceNotFoundException', 'Stream telemetry under account 000000000000 not found.') : undefined);
    const startedAt = time.now;
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.put(`r${i}`, { partitionKey: `k${i}` })));
    await producer.flush();

    const lines = readFileSync(deadLetterPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { code: string; reason: string; data: string });
    expect(lines.map((l) => Buffer.from(l.data, 'base64').toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    expect(lines.every((l) => l.code === 'ResourceNotFoundException' && l.reason.includes('not found') && l.reason.includes('dead-lettered'))).toBe(true);
    expect(time.now - startedAt).toBeGreaterThanOrEqual(20_000);
    expect(parked.at(-1)!.state).toBe('dead-lettering');
    expect(producer.stats().state).toBe('dead-lettering');
    expect(kinesis.requests.length).toBeLessThan(20);

    // Re-created: the next record is delivered and sending is back to normal.
    deleted = false;
    await producer.put('after', { partitionKey: 'k' });
    await producer.flush();
    expect(kinesis.storedData()).toEqual(['after']);
    expect(producer.stats().state).toBe('running');
  });
});
