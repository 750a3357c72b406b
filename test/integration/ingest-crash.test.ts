/**
 * Crash safety of `kedge ingest --data DIR` for Kinesis Data Streams: the real CLI is SIGKILLed in the middle of
 * a PutRecords load at a point a seeded RNG picks, started again on the same directory, and must still hold every
 * record it acknowledged (same shard, sequence number and bytes), never hand out a sequence number twice, and
 * accept a shard iterator it issued before the kill.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { seededRng } from '../helpers/seeded-rng.js';
import { kinesisClient } from '../peers/clients.js';
import { waitForActive } from '../peers/differential.js';
import { startKedgeTarget, type KedgeTarget } from '../peers/kedge.js';

const STREAM = 'crash';
const SHARDS = 2;
const KILLS = 3;
const CONCURRENCY = 2;
const RECORDS_PER_REQUEST = 100;
/** Per round at most this many requests (4,000 records); the kill comes earlier. */
const MAX_REQUESTS_PER_ROUND = 40;
const SEED = 0x6b656467; // "kedg"

interface Written {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: string;
}

let dataDir: string | undefined;
let target: KedgeTarget | undefined;
let client: KinesisClient | undefined;

afterEach(async () => {
  client?.destroy();
  await target?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  client = undefined;
  target = undefined;
  dataDir = undefined;
});

async function start(dir: string): Promise<{ target: KedgeTarget; client: KinesisClient }> {
  // --no-limits: the load must not be throttled, and verification reads each shard several times a second.
  const t = await startKedgeTarget({ dataDir: dir, extraArgs: ['--no-limits'] });
  return { target: t, client: kinesisClient(t.url, { http: '1.1', maxAttempts: 1 }) };
}

/**
 * Sends PutRecords requests from `CONCURRENCY` workers and SIGKILLs the target once `killAfter` requests were
 * acknowledged, while the other worker's request is typically in flight. Returns what was acknowledged.
 */
async function loadUntilKilled(
  c: KinesisClient,
  t: KedgeTarget,
  round: number,
  killAfter: number,
  rng: ReturnType<typeof seededRng>,
): Promise<{ acknowledged: Written[]; sent: Set<string> }> {
  const acknowledged: Written[] = [];
  const sent = new Set<string>();
  let nextRequest = 0;
  let acknowledgedRequests = 0;
  let killing: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (nextRequest < MAX_REQUESTS_PER_ROUND && killing === undefined) {
      const request = nextRequest++;
      const entries = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => {
        // Unique and checkable: the position in the load plus seeded random padding of varying length.
        const data = `r${round}-q${request}-e${i}-${'x'.repeat(rng.int(200))}${rng.next().toString(36).slice(2)}`;
        sent.add(data);
        return { PartitionKey: `pk-${rng.int(1_000_000)}`, Data: Buffer.from(data) };
      });
      try {
        const out = await c.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries }));
        out.Records?.forEach((r, i) => {
          if (r.SequenceNumber !== undefined && r.ErrorCode === undefined) {
            acknowledged.push({ shardId: r.ShardId as string, sequenceNumber: r.SequenceNumber, data: (entries[i]?.Data as Buffer).toString() });
          }
        });
      } catch {
        return; // the target is gone: whatever this request carried was never acknowledged
      }
      if (++acknowledgedRequests === killAfter) killing = t.kill();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await (killing ?? t.kill());
  return { acknowledged, sent };
}

/** Every record of every shard, from TRIM_HORIZON to the tip, by shard. */
async function readAll(c: KinesisClient): Promise<Map<string, Written[]>> {
  const shards = (await c.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
  const byShard = new Map<string, Written[]>();
  for (const shard of shards) {
    const shardId = shard.ShardId as string;
    const records: Written[] = [];
    let iterator = (await c.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (let calls = 0; iterator !== undefined; calls++) {
      if (calls > 1000) throw new Error(`${shardId} did not drain`);
      const out = await c.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of out.Records ?? []) records.push({ shardId, sequenceNumber: r.SequenceNumber as string, data: Buffer.from(r.Data ?? []).toString() });
      iterator = (out.Records ?? []).length === 0 ? undefined : out.NextShardIterator;
    }
    byShard.set(shardId, records);
  }
  return byShard;
}

describe('kedge ingest after SIGKILL (Kinesis Data Streams)', () => {
  it(`keeps every acknowledged record, never reuses a sequence number and honours old iterators across ${KILLS} kills at seeded random points`, async () => {
    const rng = seededRng(SEED);
    dataDir = await mkdtemp(join(tmpdir(), 'kedge-crash-'));
    ({ target, client } = await start(dataDir));
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
    await waitForActive(client, STREAM);
    // Issued before any kill; it must still read from the start of shard 0 after every restart.
    const oldIterator = (await client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator as string;

    const acknowledged = new Map<string, Written>(); // by sequence number
    const everSent = new Set<string>();
    for (let round = 0; round < KILLS; round++) {
      const killAfter = 1 + rng.int(MAX_REQUESTS_PER_ROUND / 2);
      const load = await loadUntilKilled(client, target, round, killAfter, rng);
      for (const w of load.acknowledged) {
        expect(acknowledged.has(w.sequenceNumber), `round ${round}: sequence number ${w.sequenceNumber} acknowledged twice`).toBe(false);
        acknowledged.set(w.sequenceNumber, w);
      }
      for (const d of load.sent) everSent.add(d);
      expect(load.acknowledged.length, `round ${round}: nothing was acknowledged before the kill`).toBeGreaterThan(0);

      client.destroy();
      ({ target, client } = await start(dataDir));
      const stored = await readAll(client);

      // Every acknowledged record is there, in its shard, with its sequence number and bytes.
      const storedBySequence = new Map<string, Written>();
      for (const records of stored.values()) {
        for (const r of records) {
          expect(storedBySequence.has(r.sequenceNumber), `round ${round}: sequence number ${r.sequenceNumber} stored twice`).toBe(false);
          storedBySequence.set(r.sequenceNumber, r);
          // Unacknowledged records may or may not have survived, but nothing was made up.
          expect(everSent.has(r.data), `round ${round}: stored record ${r.sequenceNumber} was never sent`).toBe(true);
        }
      }
      const missing = [...acknowledged.values()].filter((w) => {
        const s = storedBySequence.get(w.sequenceNumber);
        return s === undefined || s.data !== w.data || s.shardId !== w.shardId;
      });
      expect(missing, `round ${round} (kill after ${killAfter} requests): acknowledged records lost or changed`).toEqual([]);

      // New sequence numbers are above everything the shard ever held, acknowledged or not.
      const afterData = Array.from({ length: 20 }, (_, i) => `after-${round}-${i}`);
      const fresh = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: afterData.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
      for (const [i, r] of (fresh.Records ?? []).entries()) {
        const highest = (stored.get(r.ShardId as string) ?? []).reduce((max, w) => (BigInt(w.sequenceNumber) > max ? BigInt(w.sequenceNumber) : max), 0n);
        expect(BigInt(r.SequenceNumber as string), `round ${round}: ${r.ShardId} reused or went back`).toBeGreaterThan(highest);
        acknowledged.set(r.SequenceNumber as string, { shardId: r.ShardId as string, sequenceNumber: r.SequenceNumber as string, data: afterData[i] as string });
        everSent.add(afterData[i] as string);
      }

      // The iterator from before the first kill still reads shard 0 from its start.
      const viaOld = await client.send(new GetRecordsCommand({ ShardIterator: oldIterator, Limit: 5 }));
      expect(
        (viaOld.Records ?? []).map((r) => r.SequenceNumber),
        `round ${round}: iterator issued before the kill`,
      ).toEqual((stored.get('shardId-000000000000') ?? []).slice(0, 5).map((w) => w.sequenceNumber));
    }
  }, 180_000);
});
