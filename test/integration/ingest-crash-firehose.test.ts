/**
 * Crash safety of `kedge ingest --data DIR` for Firehose: the real CLI is SIGKILLed while PutRecordBatch load
 * is running (at a point a seeded RNG picks), started again on the same directory, and every record a
 * PutRecordBatch acknowledged must end up delivered to the local S3 directory `<data>/s3/<bucket>/`. Delivery is
 * at least once (a batch written just before the kill may be written again), so duplicates are allowed and
 * counted, losses are not.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { seededRng } from '../helpers/seeded-rng.js';
import { pollUntil } from '../peers/child.js';
import { firehoseClient } from '../peers/clients.js';
import { startKedgeTarget, type KedgeTarget } from '../peers/kedge.js';

const DELIVERY_STREAM = 'crash-firehose';
const BUCKET = 'crash-bucket';
const KILLS = 2;
const CONCURRENCY = 2;
const RECORDS_PER_REQUEST = 100;
const MAX_REQUESTS_PER_ROUND = 30;
/** Short enough that a restarted target delivers what it recovered within the test, long enough to be killed with records buffered. */
const BUFFER_INTERVAL_SECONDS = 5;
const SEED = 0x66697265; // "fire"

let dataDir: string | undefined;
let target: KedgeTarget | undefined;
let client: FirehoseClient | undefined;

afterEach(async () => {
  client?.destroy();
  await target?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  client = undefined;
  target = undefined;
  dataDir = undefined;
});

async function start(dir: string): Promise<{ target: KedgeTarget; client: FirehoseClient }> {
  const t = await startKedgeTarget({ dataDir: dir, extraArgs: ['--no-limits'] });
  return { target: t, client: firehoseClient(t.url, { maxAttempts: 1 }) };
}

/** Every line of every object delivered to the bucket so far (objects are written whole, by rename). */
async function deliveredLines(dir: string): Promise<string[]> {
  const root = join(dir, 's3', BUCKET);
  const files = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const lines: string[] = [];
  for (const f of files) {
    if (!f.isFile()) continue;
    const text = await readFile(join(f.parentPath, f.name), 'utf8');
    lines.push(...text.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

async function loadUntilKilled(
  c: FirehoseClient,
  t: KedgeTarget,
  round: number,
  killAfter: number,
  rng: ReturnType<typeof seededRng>,
): Promise<{ acknowledged: string[]; sent: Set<string> }> {
  const acknowledged: string[] = [];
  const sent = new Set<string>();
  let nextRequest = 0;
  let acknowledgedRequests = 0;
  let killing: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (nextRequest < MAX_REQUESTS_PER_ROUND && killing === undefined) {
      const request = nextRequest++;
      const lines = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => `fh-r${round}-q${request}-e${i}-${'y'.repeat(rng.int(300))}`);
      for (const l of lines) sent.add(l);
      try {
        const out = await c.send(new PutRecordBatchCommand({ DeliveryStreamName: DELIVERY_STREAM, Records: lines.map((l) => ({ Data: Buffer.from(`${l}\n`) })) }));
        out.RequestResponses?.forEach((r, i) => {
          if (r.RecordId !== undefined && r.ErrorCode === undefined) acknowledged.push(lines[i] as string);
        });
      } catch {
        return;
      }
      if (++acknowledgedRequests === killAfter) killing = t.kill();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await (killing ?? t.kill());
  return { acknowledged, sent };
}

describe('kedge ingest after SIGKILL (Firehose)', () => {
  it(`delivers every record PutRecordBatch acknowledged to <data>/s3/<bucket>/ after ${KILLS} kills at seeded random points`, async () => {
    const rng = seededRng(SEED);
    dataDir = await mkdtemp(join(tmpdir(), 'kedge-crash-firehose-'));
    ({ target, client } = await start(dataDir));
    await client.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: DELIVERY_STREAM,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${BUCKET}`,
          RoleARN: 'arn:aws:iam::000000000000:role/firehose-delivery',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: BUFFER_INTERVAL_SECONDS },
        },
      }),
    );
    const c = client;
    await pollUntil(async () => (await c.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: DELIVERY_STREAM }))).DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE', {
      timeoutMs: 10_000,
      describe: () => `${DELIVERY_STREAM} never became ACTIVE`,
    });

    const acknowledged = new Set<string>();
    const everSent = new Set<string>();
    for (let round = 0; round < KILLS; round++) {
      const killAfter = 1 + rng.int(MAX_REQUESTS_PER_ROUND / 2);
      const load = await loadUntilKilled(client, target, round, killAfter, rng);
      expect(load.acknowledged.length, `round ${round}: nothing was acknowledged before the kill`).toBeGreaterThan(0);
      for (const l of load.acknowledged) acknowledged.add(l);
      for (const l of load.sent) everSent.add(l);

      client.destroy();
      ({ target, client } = await start(dataDir));
      const dir = dataDir;
      let missing: string[] = [];
      await pollUntil(
        async () => {
          const delivered = new Set(await deliveredLines(dir));
          missing = [...acknowledged].filter((l) => !delivered.has(l));
          return missing.length === 0;
        },
        { timeoutMs: 30_000, intervalMs: 250, describe: () => `round ${round} (kill after ${killAfter} requests): ${missing.length} acknowledged records never delivered, e.g. ${missing[0]?.slice(0, 40)}` },
      );
      const lines = await deliveredLines(dir);
      for (const l of lines) expect(everSent.has(l), `round ${round}: delivered a record that was never sent: ${l.slice(0, 60)}`).toBe(true);
    }
  }, 180_000);
});
