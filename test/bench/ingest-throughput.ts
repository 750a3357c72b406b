/**
 * Ingest throughput: PutRecords (500 records × 1 KiB, random partition keys, 4-shard stream) and GetRecords
 * (draining what was written) against our target and the two peers on this machine, with the same load for
 * every target. Our target runs as the real CLI with persistence on (`--data`, default fsync) and
 * `--no-limits` (AWS's per-shard quotas would otherwise cap every row at 4,000 records/s); kinesalite
 * (in-memory) and kinesis-local run with their defaults. Every server is a child process.
 *
 * Two tables, each on freshly started servers:
 * 1. lean client (the headline ratios): pre-built awsJson bodies sent as raw HTTP/1.1 keep-alive requests from
 *    a child process of its own, so what is measured is the servers, not the client;
 * 2. AWS SDK client (what users see): the SDK in the bench process; on 2 cores its ~8 ms CPU per request
 *    shares the machine with the server and caps every target.
 *
 * The targets are measured in interleaved slices (round 1: A B C D, round 2: B C D A), not one after the
 * other: on a shared machine, background load then falls on every target alike and the ratios stay fair.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, ListShardsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { OwnedChild } from '../peers/child.js';
import { kinesisClient } from '../peers/clients.js';
import { waitForActive } from '../peers/differential.js';
import { startKedgeTarget } from '../peers/kedge.js';
import { startKinesalite } from '../peers/kinesalite.js';
import { startKinesisLocal } from '../peers/kinesis-local.js';
import type { RunningPeer } from '../peers/peer.js';
import { describeError, type LoadDriver, type LoadShape, type SliceBounds, type SliceReport } from './ingest-driver.js';
import { LeanLoadClient } from './ingest-lean-load.js';
import { sdkBatches, sdkDriver } from './ingest-sdk-driver.js';
import { processCpuSeconds } from './process-cpu.js';
import { formatResult, type BenchContext, type BenchModule, type BenchRatio, type BenchResult, type BenchRow } from './report.js';

const SHARDS = 4;
const SHAPE: LoadShape = { stream: 'bench', concurrency: 4, recordsPerRequest: 500, recordBytes: 1024, poolSize: 16, getLimit: 10_000 };
/** Per target and slice: 40,000 records at most, so a fast target is measured in every round, not just the first. */
const MAX_PUT_REQUESTS_PER_SLICE = 80;
/**
 * Many short slices rather than a few long ones: the background load of a shared machine comes and goes within
 * seconds, and finer interleaving spreads it more evenly over the targets.
 */
const ROUNDS = 4;
/** Per target, round and operation; so at most ROUNDS × (slice + grace) per operation per target. */
const SLICE: SliceBounds = {
  maxMs: 2_000,
  // Generous, because the peers need seconds for one 10,000-record GetRecords on a busy machine.
  graceMs: 8_000,
};
const WARMUP_REQUESTS = 8;

/** All the bench needs of a server under test. */
type Server = Pick<RunningPeer, 'url' | 'close' | 'pid'>;

interface Scenario {
  readonly label: string;
  readonly http: '1.1' | '2';
  /** The null server stores nothing, so only its PutRecords row means anything. */
  readonly putOnly?: boolean;
  start(ctx: BenchContext): Promise<Server>;
}

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

const nullScenario: Scenario = { label: NULL, http: '1.1', putOnly: true, start: startNullServer };
const kinesaliteScenario: Scenario = { label: 'kinesalite', http: '1.1', start: () => startKinesalite({ mode: 'child' }) };
const kinesisLocalScenario: Scenario = { label: 'kinesis-local', http: '1.1', start: () => startKinesisLocal() };
const oursScenario: Scenario = { label: OURS, http: '1.1', start: startOurs };

/** How one table's load is generated: the same for every target in it. */
interface LoadMode {
  readonly title: string;
  readonly scenarios: readonly Scenario[];
  readonly ratios: readonly BenchRatio[];
  readonly notes: readonly string[];
  /** Sets up what the mode needs once (a worker process, request bodies); `close` undoes it. */
  open(ctx: BenchContext): Promise<OpenedMode>;
}

interface OpenedMode {
  /** A load generator for one started target whose stream exists. */
  driver(server: Server, scenario: Scenario, shardIds: readonly string[]): LoadDriver;
  close(): Promise<void>;
}

/** The same client settings for every target; HTTP/1.1 except for the HTTP/2 row. */
const sdkClient = (server: Server, scenario: Scenario): KinesisClient =>
  kinesisClient(server.url, { http: scenario.http, maxAttempts: 1, maxSockets: SHAPE.concurrency });

const headlineRatios = (subject: string): BenchRatio[] => [
  { operation: 'PutRecords', subject, baseline: 'kinesalite', goal: 3 },
  { operation: 'PutRecords', subject, baseline: 'kinesis-local', goal: 2 },
  { operation: 'GetRecords', subject, baseline: 'kinesalite' },
  { operation: 'GetRecords', subject, baseline: 'kinesis-local' },
];

const cpuRatios = (subject: string): BenchRatio[] => [
  { operation: 'PutRecords', subject, baseline: 'kinesalite', metric: 'cpu' },
  { operation: 'PutRecords', subject, baseline: 'kinesis-local', metric: 'cpu' },
  { operation: 'GetRecords', subject, baseline: 'kinesalite', metric: 'cpu' },
  { operation: 'GetRecords', subject, baseline: 'kinesis-local', metric: 'cpu' },
];

const loadShapeTitle = `${SHAPE.recordsPerRequest} × ${SHAPE.recordBytes} B records per PutRecords, ${SHARDS} shards, ${SHAPE.concurrency} concurrent requests, GetRecords Limit ${SHAPE.getLimit}`;

const leanMode: LoadMode = {
  title: `ingest throughput, lean client (HEADLINE: server-bound; raw HTTP/1.1 keep-alive from a separate process, pre-built bodies): ${loadShapeTitle}`,
  scenarios: [nullScenario, kinesaliteScenario, kinesisLocalScenario, oursScenario],
  ratios: [...headlineRatios(OURS), { operation: 'PutRecords', subject: OURS, baseline: NULL }, ...cpuRatios(OURS)],
  notes: [
    `lean client: ${SHAPE.poolSize} distinct PutRecords bodies (random data and partition keys) built before timing and cycled; the SDK's headers with a dummy SigV4 Authorization (no server here verifies it by default); GetShardIterator/GetRecords as bare JSON, answers counted without a full parse.`,
    'the null server answers from canned JSON: its PutRecords row is what the lean client can push at all on this machine.',
  ],
  async open(ctx) {
    const lean = await LeanLoadClient.start(SHAPE);
    ctx.log(`lean load worker running (pid ${lean.pid})`);
    return {
      driver: (server, _scenario, shardIds) => lean.driver(server.url, SHAPE, shardIds),
      close: () => lean.close(),
    };
  },
};

const sdkMode: LoadMode = {
  title: `ingest throughput, AWS SDK client (what users see: SDK v3 in the bench process, client-bound on 2 cores): ${loadShapeTitle}`,
  scenarios: [nullScenario, kinesaliteScenario, kinesisLocalScenario, oursScenario, { label: OURS_H2, http: '2', start: startOurs }],
  ratios: [
    ...headlineRatios(OURS),
    { operation: 'PutRecords', subject: OURS_H2, baseline: OURS },
    { operation: 'PutRecords', subject: OURS, baseline: NULL },
    ...cpuRatios(OURS),
  ],
  notes: [
    'the null server answers from canned JSON: its PutRecords row is what the SDK client can push at all on this machine.',
    'clients: AWS SDK v3 with NodeHttpHandler (HTTP/1.1, keep-alive) for every row except the HTTP/2 one, which uses the default client.',
  ],
  async open() {
    const batches: PutRecordsRequestEntry[][] = sdkBatches(SHAPE);
    return {
      driver: (server, scenario, shardIds) => sdkDriver(sdkClient(server, scenario), SHAPE, batches, shardIds),
      close: async () => {},
    };
  },
};

interface Tally {
  records: number;
  bytes: number;
  seconds: number;
  failures: number;
  abandoned: number;
  /** Server and client CPU seconds during the slices; undefined once any reading failed. */
  serverCpuSeconds: number | undefined;
  clientCpuSeconds: number | undefined;
}

const emptyTally = (): Tally => ({ records: 0, bytes: 0, seconds: 0, failures: 0, abandoned: 0, serverCpuSeconds: 0, clientCpuSeconds: 0 });

/** A started target with its load driver and what has been measured on it so far. */
interface Live {
  readonly scenario: Scenario;
  readonly server: Server;
  readonly driver: LoadDriver;
  readonly put: Tally;
  readonly get: Tally;
  firstError: string | undefined;
}

const addCpu = (total: number | undefined, before: number | undefined, after: number | undefined): number | undefined =>
  total === undefined || before === undefined || after === undefined ? undefined : total + (after - before);

/** Runs one slice and adds what it did, and the server's and client's CPU time during it, to `tally`. */
async function measured(live: Live, tally: Tally, slice: () => Promise<SliceReport>): Promise<void> {
  const serverBefore = processCpuSeconds(live.server.pid);
  const clientBefore = live.driver.clientCpuSeconds();
  const report = await slice();
  tally.serverCpuSeconds = addCpu(tally.serverCpuSeconds, serverBefore, processCpuSeconds(live.server.pid));
  tally.clientCpuSeconds = addCpu(tally.clientCpuSeconds, clientBefore, live.driver.clientCpuSeconds());
  tally.records += report.records;
  tally.bytes += report.bytes;
  tally.seconds += report.seconds;
  tally.failures += report.failures;
  tally.abandoned += report.abandoned;
  live.firstError ??= report.firstError;
}

/** The stream every load writes to, created (untimed) with the SDK; its shard ids. */
async function createStream(server: Server, scenario: Scenario): Promise<string[]> {
  const client = sdkClient(server, scenario);
  try {
    await client.send(new CreateStreamCommand({ StreamName: SHAPE.stream, ShardCount: SHARDS }));
    await waitForActive(client, SHAPE.stream, 30_000);
    const shards = (await client.send(new ListShardsCommand({ StreamName: SHAPE.stream }))).Shards ?? [];
    return shards.map((s) => s.ShardId ?? '');
  } finally {
    client.destroy();
  }
}

async function startLive(scenario: Scenario, mode: OpenedMode, ctx: BenchContext): Promise<Live> {
  ctx.log(`${scenario.label}: starting`);
  const server = await scenario.start(ctx);
  let driver: LoadDriver | undefined;
  try {
    driver = mode.driver(server, scenario, await createStream(server, scenario));
    const warmup = await driver.put(WARMUP_REQUESTS, SLICE);
    if (warmup.firstError !== undefined) throw new Error(`warm-up failed: ${warmup.firstError}`);
  } catch (err) {
    await driver?.close().catch(() => {});
    await server.close();
    throw err;
  }
  return { scenario, server, driver, put: emptyTally(), get: emptyTally(), firstError: undefined };
}

function rowsOf(live: Live): BenchRow[] {
  const row = (operation: string, t: Tally): BenchRow => ({
    target: live.scenario.label,
    operation,
    records: t.records,
    bytes: t.bytes,
    seconds: t.seconds,
    failures: t.failures,
    ...(t.serverCpuSeconds !== undefined ? { serverCpuSeconds: t.serverCpuSeconds } : {}),
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

const fmt1 = (n: number): string => n.toFixed(1);
const loadAverage = (): string => `${loadavg().map(fmt1).join(' ')} (1/5/15 min) on ${cpus().length} CPUs`;

function clientCpuNote(lives: readonly Live[]): string {
  const perThousand = (t: Tally): string => (t.clientCpuSeconds === undefined || t.records === 0 ? 'n/a' : fmt1((t.clientCpuSeconds * 1e6) / t.records));
  const parts = lives.map((l) => `${l.scenario.label} ${perThousand(l.put)}${l.scenario.putOnly ? '' : ` / ${perThousand(l.get)}`}`);
  return `client CPU ms/1k rec (PutRecords / GetRecords): ${parts.join('; ')}`;
}

async function runMode(mode: LoadMode, ctx: BenchContext): Promise<BenchResult> {
  const loadAtStart = loadAverage();
  const opened = await mode.open(ctx);
  const lives: Live[] = [];
  const notes: string[] = [];
  try {
    for (const scenario of mode.scenarios) {
      // One target failing to start must not hide the others' numbers; it shows up as a note and n/a ratios.
      try {
        lives.push(await startLive(scenario, opened, ctx));
      } catch (err) {
        notes.push(`${scenario.label} did not run: ${describeError(err)}`);
        ctx.log(notes[notes.length - 1] as string);
      }
    }
    await interleave(lives, ctx, 'PutRecords', (live) => measured(live, live.put, () => live.driver.put(MAX_PUT_REQUESTS_PER_SLICE, SLICE)));
    await interleave(
      lives.filter((l) => !l.scenario.putOnly),
      ctx,
      'GetRecords',
      (live) => measured(live, live.get, () => live.driver.get(SLICE)),
    );
  } finally {
    for (const live of lives) {
      await live.driver.close().catch(() => {});
      await live.server.close();
    }
    await opened.close();
  }
  for (const live of lives) {
    if (live.firstError) notes.push(`${live.scenario.label}: first error: ${live.firstError}`);
    const abandoned = live.put.abandoned + live.get.abandoned;
    if (abandoned > 0) notes.push(`${live.scenario.label}: ${abandoned} requests were still in flight ${SLICE.graceMs / 1000} s after a slice ended and were aborted (not counted)`);
  }
  return {
    title: mode.title,
    rows: lives.flatMap(rowsOf),
    ratios: mode.ratios,
    notes: [
      ...notes,
      ...mode.notes,
      clientCpuNote(lives),
      'records/s counts acknowledged records (PutRecords) or records returned (GetRecords); MiB/s counts record data only.',
      'server CPU ms/1k rec: user+system CPU of the server process (from /proc) during the slices, per 1,000 records; the CPU ratios say how many times less CPU ours spends per record.',
      `each target is measured in ${ROUNDS} interleaved slices of ${SLICE.maxMs / 1000} s per operation (plus up to ${SLICE.graceMs / 1000} s for requests in flight); a PutRecords slice stops at ${MAX_PUT_REQUESTS_PER_SLICE * SHAPE.recordsPerRequest} records, GetRecords at the end of the data.`,
      `load average at start: ${loadAtStart}; at end: ${loadAverage()}`,
    ],
  };
}

export const ingestThroughput: BenchModule = {
  name: 'ingest',
  summary: 'kedge ingest vs kinesalite vs kinesis-local: PutRecords and GetRecords throughput (lean client, then AWS SDK client)',
  async run(ctx): Promise<BenchResult> {
    // run.ts prints one table per module; the headline (lean) table goes out here, first, and the SDK table
    // is this module's result, printed after it. A failed lean run must not cost the SDK table.
    try {
      process.stdout.write(`${formatResult(await runMode(leanMode, ctx))}\n\n`);
    } catch (err) {
      process.stdout.write(`== ingest throughput, lean client: failed: ${describeError(err)}\n\n`);
    }
    return runMode(sdkMode, ctx);
  },
};
