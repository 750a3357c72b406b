/**
 * Ingest throughput: PutRecords (500 records × 1 KiB, random partition keys, 4-shard stream) and GetRecords
 * (draining what was written) against our target and the two peers on this machine, with the same client
 * settings and concurrency. Our target runs as the real CLI with persistence on (`--data`, default fsync) and
 * `--no-limits` (AWS's per-shard quotas would otherwise cap every row at 4,000 records/s); kinesalite
 * (in-memory) and kinesis-local run with their defaults. Every server is a child process, so none shares an
 * event loop with the load generator.
 *
 * The targets are measured in interleaved slices (round 1: A B C D, round 2: B C D A), not one after the
 * other: on a shared machine, background load then falls on every target alike and the ratios stay fair.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { OwnedChild } from '../peers/child.js';
import { kinesisClient } from '../peers/clients.js';
import { waitForActive } from '../peers/differential.js';
import { startKedgeTarget } from '../peers/kedge.js';
import { startKinesalite } from '../peers/kinesalite.js';
import { startKinesisLocal } from '../peers/kinesis-local.js';
import type { RunningPeer } from '../peers/peer.js';
import { runClosedLoop } from './load.js';
import { processCpuSeconds } from './process-cpu.js';
import type { BenchContext, BenchModule, BenchResult, BenchRow } from './report.js';

const STREAM = 'bench';
const SHARDS = 4;
const RECORDS_PER_REQUEST = 500;
const RECORD_BYTES = 1024;
const CONCURRENCY = 4;
/** 100,000 records at most per target; a fast target stops here, a slow one at the time bound. */
const MAX_PUT_REQUESTS = 200;
const ROUNDS = 2;
/** Per target and round; so at most ROUNDS × (slice + grace) per operation per target. */
const SLICE_MS = 4_000;
/**
 * A request in flight when a slice ends may finish within this (its time counts), else it is aborted. Generous,
 * because the peers need seconds for one 10,000-record GetRecords on a busy machine.
 */
const GRACE_MS = 8_000;
const GET_LIMIT = 10_000;
const WARMUP_REQUESTS = 8;
/** Distinct request bodies cycled through; building a fresh 500 KiB batch per request would load the client. */
const BATCH_TEMPLATES = 8;

interface Scenario {
  readonly label: string;
  readonly http: '1.1' | '2';
  /** The null server stores nothing, so only its PutRecords row means anything. */
  readonly putOnly?: boolean;
  start(ctx: BenchContext): Promise<Server>;
}

/** All the bench needs of a server under test. */
type Server = Pick<RunningPeer, 'url' | 'close' | 'pid'>;

const distCli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function startOurs(ctx: BenchContext): Promise<Server> {
  return startKedgeTarget({
    // `npm run bench` builds first, so this measures the compiled CLI a user runs.
    entry: existsSync(distCli) ? 'dist' : 'source',
    extraArgs: ['--no-limits'],
    nodeArgs: ctx.serverNodeArgs,
  });
}

const nullServer = fileURLToPath(new URL('./null-kinesis.mjs', import.meta.url));

async function startNullServer(): Promise<Server> {
  const child = new OwnedChild(process.execPath, [nullServer], { label: 'null kinesis' });
  try {
    const match = await child.waitForOutput(/(http:\/\/127\.0\.0\.1:\d+)/, 10_000);
    return { url: match[1] as string, pid: child.pid, close: () => child.stop() };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

const OURS = 'kedge (HTTP/1.1)';
const OURS_H2 = 'kedge (HTTP/2, default client)';
const NULL = 'null server (client ceiling)';

const scenarios: readonly Scenario[] = [
  { label: NULL, http: '1.1', putOnly: true, start: startNullServer },
  { label: 'kinesalite', http: '1.1', start: () => startKinesalite({ mode: 'child' }) },
  { label: 'kinesis-local', http: '1.1', start: () => startKinesisLocal() },
  { label: OURS, http: '1.1', start: startOurs },
  { label: OURS_H2, http: '2', start: startOurs },
];

interface Tally {
  records: number;
  bytes: number;
  seconds: number;
  failures: number;
  abandoned: number;
  /** Server CPU seconds during the slices; undefined once any reading failed. */
  cpuSeconds: number | undefined;
}

const emptyTally = (): Tally => ({ records: 0, bytes: 0, seconds: 0, failures: 0, abandoned: 0, cpuSeconds: 0 });

/** Runs `body` and adds the server's CPU time during it to `tally`. */
async function withServerCpu(live: Live, tally: Tally, body: () => Promise<void>): Promise<void> {
  const before = processCpuSeconds(live.server.pid);
  await body();
  const after = processCpuSeconds(live.server.pid);
  tally.cpuSeconds = before === undefined || after === undefined || tally.cpuSeconds === undefined ? undefined : tally.cpuSeconds + (after - before);
}

/** A started target with its client and what has been measured on it so far. */
interface Live {
  readonly scenario: Scenario;
  readonly server: Server;
  readonly client: KinesisClient;
  readonly put: Tally;
  readonly get: Tally;
  putRequests: number;
  /** Per shard: where the next GetRecords continues; undefined once drained. */
  iterators: Array<string | undefined>;
  firstError: string | undefined;
}

function batchTemplates(): PutRecordsRequestEntry[][] {
  return Array.from({ length: BATCH_TEMPLATES }, () =>
    Array.from({ length: RECORDS_PER_REQUEST }, () => ({ PartitionKey: randomBytes(12).toString('hex'), Data: randomBytes(RECORD_BYTES) })),
  );
}

const describeError = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err));

async function startLive(scenario: Scenario, batches: PutRecordsRequestEntry[][], ctx: BenchContext): Promise<Live> {
  ctx.log(`${scenario.label}: starting`);
  const server = await scenario.start(ctx);
  const client = kinesisClient(server.url, { http: scenario.http, maxAttempts: 1, maxSockets: CONCURRENCY });
  try {
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
    await waitForActive(client, STREAM, 30_000);
    for (let i = 0; i < WARMUP_REQUESTS; i++) await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: batches[i % batches.length] }));
  } catch (err) {
    client.destroy();
    await server.close();
    throw err;
  }
  return { scenario, server, client, put: emptyTally(), get: emptyTally(), putRequests: 0, iterators: [], firstError: undefined };
}

async function putSlice(live: Live, batches: PutRecordsRequestEntry[][]): Promise<void> {
  const outcome = await runClosedLoop(
    { concurrency: CONCURRENCY, maxOperations: MAX_PUT_REQUESTS - live.putRequests, maxMs: SLICE_MS, graceMs: GRACE_MS },
    async (i, signal) => {
      try {
        const out = await live.client.send(new PutRecordsCommand({ StreamName: STREAM, Records: batches[(live.putRequests + i) % batches.length] }), { abortSignal: signal });
        const failed = out.FailedRecordCount ?? 0;
        live.put.records += RECORDS_PER_REQUEST - failed;
        live.put.bytes += (RECORDS_PER_REQUEST - failed) * RECORD_BYTES;
        live.put.failures += failed;
      } catch (err) {
        if (signal.aborted) throw err; // cut off by the hard bound: neither acknowledged nor failed
        live.put.failures += RECORDS_PER_REQUEST;
        live.firstError ??= `PutRecords: ${describeError(err)}`;
      }
    },
  );
  live.putRequests += outcome.completed + outcome.abandoned;
  live.put.seconds += outcome.seconds;
  live.put.abandoned += outcome.abandoned;
}

async function getSlice(live: Live): Promise<void> {
  if (live.iterators.length === 0) {
    const shards = (await live.client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
    live.iterators = await Promise.all(
      shards.map(
        async (s) => (await live.client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator,
      ),
    );
  }
  if (live.iterators.every((it) => it === undefined)) return;
  const stopStarting = performance.now() + SLICE_MS;
  // One reader per shard; a reader keeps its iterator across slices (iterators stay valid for 5 minutes).
  const outcome = await runClosedLoop({ concurrency: live.iterators.length, maxOperations: live.iterators.length, maxMs: SLICE_MS + GRACE_MS }, async (shard, signal) => {
    while (live.iterators[shard] !== undefined && performance.now() < stopStarting) {
      try {
        const out = await live.client.send(new GetRecordsCommand({ ShardIterator: live.iterators[shard], Limit: GET_LIMIT }), { abortSignal: signal });
        const got = out.Records ?? [];
        live.get.records += got.length;
        for (const r of got) live.get.bytes += r.Data?.byteLength ?? 0;
        live.iterators[shard] = got.length === 0 ? undefined : out.NextShardIterator;
      } catch (err) {
        if (signal.aborted) throw err;
        live.get.failures++;
        live.firstError ??= `GetRecords: ${describeError(err)}`;
        live.iterators[shard] = undefined;
      }
    }
  });
  live.get.seconds += outcome.seconds;
  live.get.abandoned += outcome.abandoned;
}

function rowsOf(live: Live): BenchRow[] {
  const row = (operation: string, t: Tally): BenchRow => ({
    target: live.scenario.label,
    operation,
    records: t.records,
    bytes: t.bytes,
    seconds: t.seconds,
    failures: t.failures,
    ...(t.cpuSeconds !== undefined ? { serverCpuSeconds: t.cpuSeconds } : {}),
  });
  return live.scenario.putOnly ? [row('PutRecords', live.put)] : [row('PutRecords', live.put), row('GetRecords', live.get)];
}

/** Runs `slice` on every target, `ROUNDS` times, rotating who goes first. */
async function interleave(lives: readonly Live[], ctx: BenchContext, operation: string, slice: (live: Live) => Promise<void>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    ctx.log(`${operation}: round ${round + 1} of ${ROUNDS}`);
    for (let k = 0; k < lives.length; k++) await slice(lives[(round + k) % lives.length] as Live);
  }
}

export const ingestThroughput: BenchModule = {
  name: 'ingest',
  summary: 'kedge ingest vs kinesalite vs kinesis-local: PutRecords and GetRecords throughput',
  async run(ctx): Promise<BenchResult> {
    const batches = batchTemplates();
    const lives: Live[] = [];
    const notes: string[] = [];
    try {
      for (const scenario of scenarios) {
        // One target failing to start must not hide the others' numbers; it shows up as a note and n/a ratios.
        try {
          lives.push(await startLive(scenario, batches, ctx));
        } catch (err) {
          notes.push(`${scenario.label} did not run: ${describeError(err)}`);
          ctx.log(notes[notes.length - 1] as string);
        }
      }
      await interleave(lives, ctx, 'PutRecords', (live) => withServerCpu(live, live.put, () => putSlice(live, batches)));
      await interleave(
        lives.filter((l) => !l.scenario.putOnly),
        ctx,
        'GetRecords',
        (live) => withServerCpu(live, live.get, () => getSlice(live)),
      );
    } finally {
      for (const live of lives) {
        live.client.destroy();
        await live.server.close();
      }
    }
    for (const live of lives) {
      if (live.firstError) notes.push(`${live.scenario.label}: first error: ${live.firstError}`);
      const abandoned = live.put.abandoned + live.get.abandoned;
      if (abandoned > 0) notes.push(`${live.scenario.label}: ${abandoned} requests were still in flight ${GRACE_MS / 1000} s after a slice ended and were aborted (not counted)`);
    }
    return {
      title: `ingest throughput: ${RECORDS_PER_REQUEST} × ${RECORD_BYTES} B records per PutRecords, ${SHARDS} shards, ${CONCURRENCY} concurrent requests, GetRecords Limit ${GET_LIMIT}`,
      rows: lives.flatMap(rowsOf),
      ratios: [
        { operation: 'PutRecords', subject: OURS, baseline: 'kinesalite', goal: 3 },
        { operation: 'PutRecords', subject: OURS, baseline: 'kinesis-local', goal: 2 },
        { operation: 'GetRecords', subject: OURS, baseline: 'kinesalite' },
        { operation: 'GetRecords', subject: OURS, baseline: 'kinesis-local' },
        { operation: 'PutRecords', subject: OURS_H2, baseline: OURS },
        { operation: 'PutRecords', subject: OURS, baseline: NULL },
        { operation: 'PutRecords', subject: OURS, baseline: 'kinesalite', metric: 'cpu' },
        { operation: 'PutRecords', subject: OURS, baseline: 'kinesis-local', metric: 'cpu' },
        { operation: 'GetRecords', subject: OURS, baseline: 'kinesalite', metric: 'cpu' },
        { operation: 'GetRecords', subject: OURS, baseline: 'kinesis-local', metric: 'cpu' },
      ],
      notes: [
        ...notes,
        'records/s counts acknowledged records (PutRecords) or records returned (GetRecords); MiB/s counts record data only.',
        'server CPU ms/1k rec: user+system CPU of the server process (from /proc) during the slices, per 1,000 records; the CPU ratios say how many times less CPU ours spends per record.',
        `each target is measured in ${ROUNDS} interleaved slices of ${SLICE_MS / 1000} s per operation (plus up to ${GRACE_MS / 1000} s for requests in flight); PutRecords stops at ${MAX_PUT_REQUESTS * RECORDS_PER_REQUEST} records, GetRecords at the end of the data.`,
        'the null server answers from canned JSON: its row is what this load generator can push at all on this machine.',
        'clients: AWS SDK v3 with NodeHttpHandler (HTTP/1.1, keep-alive) for every row except the HTTP/2 one, which uses the default client.',
      ],
    };
  },
};
