/**
 * The target goes away and comes back: a real stop of a few seconds (not minutes; the backoff is
 * capped at 200 ms here so the retries are exercised many times over), during which the producer
 * keeps accepting records into its disk spool. After the restart (same port, same data directory)
 * every accepted record is read back; duplicates only where the producer said they were possible.
 * Minutes-long outages on virtual time are in test/unit/producer/retry-and-parking.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../src/index.js';
import { startIngestTarget, type IngestTarget } from '../../src/ingest/target.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../helpers/target.js';
import { createStream, readStream, tally } from './producer-helpers.js';

const targets: IngestTarget[] = [];
const producers: Producer[] = [];
const clients: KinesisClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  for (const c of clients.splice(0)) c.destroy();
  for (const t of targets.splice(0)) await t.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, port: number): Promise<IngestTarget> {
  const target = await startIngestTarget({ port, host: '127.0.0.1', dataDir, limits: false, logger: pino({ level: 'silent' }) });
  targets.push(target);
  return target;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('producer through a target outage', () => {
  it('keeps accepting while the target is down and delivers everything once it is back', async () => {
    const dataDir = tempDir('kedge-outage-target-');
    const first = await start(dataDir, 0);
    const client = new KinesisClient({ endpoint: first.url, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    clients.push(client);
    await createStream(client, 'outage', 2);
    const producer = await createProducer({
      sink: { type: 'kinesis', streamName: 'outage' },
      aws: { endpoint: first.url, region: TEST_REGION, credentials: TEST_CREDENTIALS },
      spool: { dir: tempDir('kedge-outage-spool-'), fsync: 'always' },
      retry: { backoff: { baseMs: 20, throttledBaseMs: 50, capMs: 200 } },
      requestTimeoutMs: 2_000,
    });
    producers.push(producer);
    const put = async (from: number, to: number): Promise<void> => {
      const puts: Promise<void>[] = [];
      for (let i = from; i < to; i++) puts.push(producer.put(`r-${i}`, { partitionKey: `k${i % 31}` }));
      await Promise.all(puts);
    };

    await put(0, 2000);
    await producer.flush();
    expect(producer.stats().delivered).toBe(2000);

    await first.close();
    const failedBefore = producer.stats().requests.failed;
    await put(2000, 5000); // accepted into the spool with the target gone
    await sleep(3_000);
    const during = producer.stats();
    expect(during.accepted).toBe(5000);
    expect(during.requests.failed).toBeGreaterThan(failedBefore);
    expect(during.spool.entries).toBe(3000);
    expect(during.state).toBe('running'); // a dead link is not a configuration error: retry, do not park

    const second = await start(dataDir, first.port);
    expect(second.url).toBe(first.url);
    await producer.flush();
    const stats = producer.stats();
    expect(stats.delivered).toBeGreaterThanOrEqual(5000);

    const back = await readStream(client, 'outage');
    const counts = tally(back.records.map((r) => r.data));
    expect(counts.size).toBe(5000);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(stats.possibleDuplicates);
  }, 60_000);
});
