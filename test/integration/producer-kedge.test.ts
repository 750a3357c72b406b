/**
 * The producer against our `kedge ingest` target (in this process, real HTTP on 127.0.0.1, the real
 * SDK client) with AWS's per-shard throughput limits and fault injection on: every accepted record
 * is read back exactly once after de-aggregation (aws-kinesis-agg, checksums on), in its shard's
 * hash range, and in per-key order when asked. Firehose records reach S3 once each.
 */
import { readdir, readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../src/index.js';
import { seededRng } from '../helpers/seeded-rng.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../helpers/target.js';
import { createStream, inKeyOrder, readStream, tally } from './producer-helpers.js';

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
  const dir = mkdtempSync(join(tmpdir(), 'kedge-producer-it-'));
  dirs.push(dir);
  return dir;
}

const aws = (url: string) => ({ endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS });

async function putAll(producer: Producer, count: number, keys: number): Promise<string[]> {
  const sent: string[] = [];
  const rng = seededRng(17);
  for (let i = 0; i < count; i++) {
    const key = `device-${i % keys}`;
    const data = `${key}:${String(i).padStart(6, '0')}:${'x'.repeat(rng.int(400))}`;
    sent.push(data);
    const put = producer.put(data, { partitionKey: key });
    if (i % 500 === 499) await put;
  }
  await producer.flush();
  return sent;
}

describe('producer → kedge ingest (limits and faults on)', () => {
  it('every accepted record is read back exactly once after de-aggregation, each inside its shard', async () => {
    target = await startTestTarget({ memory: true, limits: true, faultRate: 0.1, rng: seededRng(1) });
    await createStream(target.kinesis, 'telemetry', 4);
    const producer = await createProducer({
      sink: { type: 'kinesis', streamName: 'telemetry' },
      aws: aws(target.url),
      spool: { dir: tempDir(), fsync: 'always' },
      retry: { backoff: { baseMs: 20, throttledBaseMs: 50, capMs: 500 } },
    });
    producers.push(producer);
    const sent = await putAll(producer, 12_000, 300);
    const stats = producer.stats();
    expect(stats.accepted).toBe(12_000);
    expect(stats.delivered).toBe(12_000);
    expect(stats.retried).toBeGreaterThan(0); // the injected faults and throttles were met, and survived
    expect(stats.deadLettered).toBe(0);

    const back = await readStream(target.kinesis, 'telemetry');
    expect(back.outOfRange).toEqual([]);
    expect(back.kinesisRecords).toBeLessThan(12_000 / 20); // aggregated
    const counts = tally(back.records.map((r) => r.data));
    expect(counts.size).toBe(12_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].sort()).toEqual([...sent].sort());
  });

  it("with ordering 'per-key', each key's records are read back in the order they were put", async () => {
    target = await startTestTarget({ memory: true, limits: true, faultRate: 0.15, rng: seededRng(2) });
    await createStream(target.kinesis, 'ordered', 3);
    const producer = await createProducer({
      sink: { type: 'kinesis', streamName: 'ordered' },
      aws: aws(target.url),
      spool: { dir: tempDir(), fsync: 'interval' },
      ordering: 'per-key',
      retry: { backoff: { baseMs: 20, throttledBaseMs: 50, capMs: 500 } },
    });
    producers.push(producer);
    const sent = await putAll(producer, 6_000, 40);
    const back = await readStream(target.kinesis, 'ordered');
    expect(back.outOfRange).toEqual([]);
    expect(back.records.map((r) => r.data).sort()).toEqual([...sent].sort());
    expect(inKeyOrder(back.records)).toBe(true);
  });

  it('Firehose: every record reaches S3 once, newline-delimited, through injected throttles', async () => {
    target = await startTestTarget({ memory: true, faultRate: 0.2, rng: seededRng(3), firehoseIntervalSeconds: 1 });
    await target.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'logs',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::kedge-logs',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        },
      }),
    );
    const producer = await createProducer({
      sink: { type: 'firehose', deliveryStreamName: 'logs', newlineDelimited: true },
      aws: aws(target.url),
      spool: { dir: tempDir() },
      retry: { backoff: { baseMs: 20, throttledBaseMs: 50, capMs: 500 } },
    });
    producers.push(producer);
    const sent = Array.from({ length: 3000 }, (_, i) => ({ n: i, text: `event ${i}` }));
    await Promise.all(sent.map((r) => producer.put(r)));
    await producer.flush();
    expect(producer.stats().retried).toBeGreaterThan(0);

    const lines: string[] = [];
    for (let wait = 0; wait < 100 && lines.length < sent.length; wait++) {
      lines.length = 0;
      const root = join(target.s3Dir, 'kedge-logs');
      const files = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const f of files) if (f.isFile()) lines.push(...(await readFile(join(f.parentPath, f.name), 'utf8')).split('\n').filter(Boolean));
      if (lines.length < sent.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lines.sort()).toEqual(sent.map((r) => JSON.stringify(r)).sort());
  });
});
