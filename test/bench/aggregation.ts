/**
 * Micro-benchmark: KPL aggregation of 1,000,000 user records of 200 bytes, ours against
 * aws-kinesis-agg's `aggregate` (protobufjs) in the same process.
 *
 *   node --import tsx test/bench/aggregation.ts        (alone)
 *   test/bench/run.ts imports { run }                  (with the other benches)
 *
 * Both sides encode, MD5 and emit every aggregate; neither sends anything. aws-kinesis-agg packs up
 * to 1 MiB per aggregate, so ours runs once with that limit (like for like) and once with KPL's
 * default 51,200 bytes; a fourth line adds what the pipeline does per record on top (MD5 hash
 * key and shard lookup), since aws-kinesis-agg skips per-shard routing altogether.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Aggregator, type UserRecord } from '../../src/pipeline/aggregation/aggregator.js';
import { hashKeyOfRecord } from '../../src/pipeline/aggregation/hash-key.js';
import { ShardMap } from '../../src/pipeline/shard-map.js';

const RECORDS = 1_000_000;
const RECORD_BYTES = 200;
const DISTINCT_KEYS = 1000;
const WARMUP_RECORDS = 50_000;

interface AwsKinesisAgg {
  aggregate(
    records: UserRecord[],
    onEncoded: (encoded: { data: Buffer }, done: () => void) => void,
    afterAll: () => void,
    onError: (error: Error) => void,
  ): void;
}

function makeRecords(count: number): UserRecord[] {
  const pool = Buffer.allocUnsafe(count * RECORD_BYTES);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 31 + 7) & 0xff;
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `sensor-${i % DISTINCT_KEYS}`,
    data: pool.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES),
  }));
}

interface Result {
  label: string;
  ms: number;
  /** User + system CPU time of the process: steadier than wall time on a shared machine. */
  cpuMs: number;
  aggregates: number;
  outputBytes: number;
}

function ours(label: string, records: UserRecord[], maxAggregateBytes: number): Result {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const aggregator = new Aggregator({ maxAggregateBytes });
  let aggregates = 0;
  let outputBytes = 0;
  for (const record of records) {
    if (!aggregator.tryAdd(record)) {
      outputBytes += aggregator.flush()!.data.length;
      aggregates++;
      aggregator.tryAdd(record);
    }
  }
  outputBytes += aggregator.flush()?.data.length ?? 0;
  return { label, ms: performance.now() - start, cpuMs: cpuMsSince(cpuStart), aggregates: aggregates + 1, outputBytes };
}

function oursRoutedPerShard(label: string, records: UserRecord[], maxAggregateBytes: number): Result {
  const map = new ShardMap();
  const quarter = 1n << 126n;
  map.update(
    [0n, 1n, 2n, 3n].map((i) => ({
      ShardId: `shardId-${i}`,
      HashKeyRange: { StartingHashKey: (i * quarter).toString(), EndingHashKey: ((i + 1n) * quarter - 1n).toString() },
    })),
  );
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const aggregators = new Map<string, Aggregator>(map.shards.map((s) => [s.shardId, new Aggregator({ maxAggregateBytes })]));
  let aggregates = 0;
  let outputBytes = 0;
  for (const record of records) {
    const hashKey = hashKeyOfRecord(record.partitionKey, record.explicitHashKey);
    const aggregator = aggregators.get(map.shardIdFor(hashKey)!)!;
    if (!aggregator.tryAdd(record, hashKey)) {
      outputBytes += aggregator.flush()!.data.length;
      aggregates++;
      aggregator.tryAdd(record, hashKey);
    }
  }
  for (const aggregator of aggregators.values()) {
    const last = aggregator.flush();
    if (last) {
      outputBytes += last.data.length;
      aggregates++;
    }
  }
  return { label, ms: performance.now() - start, cpuMs: cpuMsSince(cpuStart), aggregates, outputBytes };
}

async function theirs(label: string, agg: AwsKinesisAgg, records: UserRecord[]): Promise<Result> {
  // aws-kinesis-agg reads `data`/`partitionKey` and may rewrite `data`: give it its own objects.
  const input = records.map((r) => ({ partitionKey: r.partitionKey, data: r.data }));
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let aggregates = 0;
  let outputBytes = 0;
  await new Promise<void>((resolve, reject) => {
    agg.aggregate(
      input,
      (encoded, done) => {
        aggregates++;
        outputBytes += encoded.data.length;
        done();
      },
      resolve,
      reject,
    );
  });
  return { label, ms: performance.now() - start, cpuMs: cpuMsSince(cpuStart), aggregates, outputBytes };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function perSecond(result: Result, count: number): number {
  return count / (result.ms / 1000);
}

function print(result: Result, count: number): void {
  const rate = perSecond(result, count);
  console.log(
    `${result.label.padEnd(58)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} records/s  ` +
      `${(result.ms / 1000).toFixed(2)} s wall  ${(result.cpuMs / 1000).toFixed(2)} s CPU  ${result.aggregates.toLocaleString('en-US')} aggregates  ` +
      `${((count * RECORD_BYTES) / (result.ms / 1000) / 1e6).toFixed(0)} MB/s in`,
  );
}

export async function run(): Promise<void> {
  const require = createRequire(import.meta.url);
  const agg = require('aws-kinesis-agg') as AwsKinesisAgg;
  console.log(`aggregation: ${RECORDS.toLocaleString('en-US')} records x ${RECORD_BYTES} B, ${DISTINCT_KEYS} partition keys, node ${process.version}`);

  const warmup = makeRecords(WARMUP_RECORDS);
  ours('warmup', warmup, 1_048_575);
  oursRoutedPerShard('warmup', warmup, 51_200);
  await theirs('warmup', agg, warmup);

  const records = makeRecords(RECORDS);
  const like = ours('kedge Aggregator, 1 MiB aggregates (as aws-kinesis-agg)', records, 1_048_575);
  const kpl = ours('kedge Aggregator, 51,200 B aggregates (KPL default)', records, 51_200);
  const routed = oursRoutedPerShard('kedge, MD5 hash key + shard lookup + 51,200 B per shard', records, 51_200);
  const reference = await theirs('aws-kinesis-agg aggregate(), 1 MiB aggregates', agg, records);
  for (const result of [like, kpl, routed, reference]) print(result, RECORDS);
  const wallRatio = reference.ms / like.ms;
  const cpuRatio = reference.cpuMs / like.cpuMs;
  console.log(`ratio kedge (1 MiB) vs aws-kinesis-agg: ${wallRatio.toFixed(1)}x faster by wall time, ${cpuRatio.toFixed(1)}x by CPU time`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
