/**
 * The AWS SDK v3 client as the ingest bench's load generator, in the bench process itself: what a user's
 * producer sees. Its own cost (serialisation, SigV4 with payload hashing, ~8 ms CPU per 500-record request)
 * shares the machine with the server under test, so on 2 cores it caps every target's throughput.
 */
import { randomBytes } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { describeError, type LoadDriver, type LoadShape, type SliceBounds, type SliceReport } from './ingest-driver.js';
import { runClosedLoop } from './load.js';

/** Entries built once per bench run and shared by every target: building 500 KiB per request would load the client. */
export function sdkBatches(shape: LoadShape): PutRecordsRequestEntry[][] {
  return Array.from({ length: shape.poolSize }, () =>
    Array.from({ length: shape.recordsPerRequest }, () => ({ PartitionKey: randomBytes(12).toString('hex'), Data: randomBytes(shape.recordBytes) })),
  );
}

interface Counts {
  records: number;
  bytes: number;
  failures: number;
  firstError: string | undefined;
}

const report = (c: Counts, outcome: { completed: number; abandoned: number; seconds: number }): SliceReport => ({
  records: c.records,
  bytes: c.bytes,
  failures: c.failures,
  completed: outcome.completed,
  abandoned: outcome.abandoned,
  seconds: outcome.seconds,
  ...(c.firstError !== undefined ? { firstError: c.firstError } : {}),
});

export function sdkDriver(client: KinesisClient, shape: LoadShape, batches: readonly PutRecordsRequestEntry[][], shardIds: readonly string[]): LoadDriver {
  let sent = 0;
  /** Per shard: where the next GetRecords continues; undefined once drained. Null before the first slice. */
  let iterators: Array<string | undefined> | null = null;

  return {
    async put(maxRequests: number, bounds: SliceBounds): Promise<SliceReport> {
      const c: Counts = { records: 0, bytes: 0, failures: 0, firstError: undefined };
      const first = sent;
      const outcome = await runClosedLoop(
        { concurrency: shape.concurrency, maxOperations: maxRequests, maxMs: bounds.maxMs, graceMs: bounds.graceMs },
        async (i, signal) => {
          try {
            const out = await client.send(new PutRecordsCommand({ StreamName: shape.stream, Records: batches[(first + i) % batches.length] }), { abortSignal: signal });
            const failed = out.FailedRecordCount ?? 0;
            c.records += shape.recordsPerRequest - failed;
            c.bytes += (shape.recordsPerRequest - failed) * shape.recordBytes;
            c.failures += failed;
          } catch (err) {
            if (signal.aborted) throw err; // cut off by the hard bound: neither acknowledged nor failed
            c.failures += shape.recordsPerRequest;
            c.firstError ??= `PutRecords: ${describeError(err)}`;
          }
        },
      );
      sent += outcome.completed + outcome.abandoned;
      return report(c, outcome);
    },

    async get(bounds: SliceBounds): Promise<SliceReport> {
      const c: Counts = { records: 0, bytes: 0, failures: 0, firstError: undefined };
      iterators ??= await Promise.all(
        shardIds.map(
          async (ShardId) => (await client.send(new GetShardIteratorCommand({ StreamName: shape.stream, ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator,
        ),
      );
      const its = iterators;
      if (its.every((it) => it === undefined)) return report(c, { completed: 0, abandoned: 0, seconds: 0 });
      const stopStarting = performance.now() + bounds.maxMs;
      // One reader per shard; a reader keeps its iterator across slices (iterators stay valid for 5 minutes).
      const outcome = await runClosedLoop({ concurrency: its.length, maxOperations: its.length, maxMs: bounds.maxMs + bounds.graceMs }, async (shard, signal) => {
        while (its[shard] !== undefined && performance.now() < stopStarting) {
          try {
            const out = await client.send(new GetRecordsCommand({ ShardIterator: its[shard], Limit: shape.getLimit }), { abortSignal: signal });
            const got = out.Records ?? [];
            c.records += got.length;
            for (const r of got) c.bytes += r.Data?.byteLength ?? 0;
            its[shard] = got.length === 0 ? undefined : out.NextShardIterator;
          } catch (err) {
            if (signal.aborted) throw err;
            c.failures++;
            c.firstError ??= `GetRecords: ${describeError(err)}`;
            its[shard] = undefined;
          }
        }
      });
      return report(c, outcome);
    },

    clientCpuSeconds(): number {
      // The client is this process (the bench's own bookkeeping is negligible next to the SDK's work).
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}
