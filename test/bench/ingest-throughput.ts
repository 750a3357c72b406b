/**
 * Ingest throughput: PutRecords (500 records × 1 KiB, random partition keys, 4-shard stream) and GetRecords
 * (draining what was written) against our target and the two peers, one after the other on this machine, with
 * the same client settings and concurrency. Our target runs as the real CLI with persistence on (`--data`,
 * default fsync) and `--no-limits` (AWS's per-shard quotas would otherwise cap every row at 4,000 records/s);
 * kinesalite (in-memory) and kinesis-local run with their defaults. Every server is a child process, so none
 * shares an event loop with the load generator.
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
import type { BenchContext, BenchModule, BenchResult, BenchRow } from './report.js';

const STREAM = 'bench';
const SHARDS = 4;
const RECORDS_PER_REQUEST = 500;
const RECORD_BYTES = 1024;
const CONCURRENCY = 4;
/** 100,000 records at most; a fast target stops here, a slow one at the time bound. */
const MAX_PUT_REQUESTS = 200;
const PUT_MAX_MS = 8_000;
const GET_MAX_MS = 8_000;
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
type Server = Pick<RunningPeer, 'url' | 'close'>;

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
    return { url: match[1] as string, close: () => child.stop() };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

const scenarios: readonly Scenario[] = [
  { label: 'null server (client ceiling)', http: '1.1', putOnly: true, start: startNullServer },
  { label: 'kinesalite', http: '1.1', start: () => startKinesalite({ mode: 'child' }) },
  { label: 'kinesis-local', http: '1.1', start: () => startKinesisLocal() },
  { label: 'kedge (HTTP/1.1)', http: '1.1', start: startOurs },
  { label: 'kedge (HTTP/2, default client)', http: '2', start: startOurs },
];

function batchTemplates(): PutRecordsRequestEntry[][] {
  return Array.from({ length: BATCH_TEMPLATES }, () =>
    Array.from({ length: RECORDS_PER_REQUEST }, () => ({ PartitionKey: randomBytes(12).toString('hex'), Data: randomBytes(RECORD_BYTES) })),
  );
}

async function putPhase(client: KinesisClient, batches: PutRecordsRequestEntry[][], ctx: BenchContext, label: string): Promise<Omit<BenchRow, 'target'>> {
  let acknowledged = 0;
  let failures = 0;
  let firstError: string | undefined;
  const outcome = await runClosedLoop({ concurrency: CONCURRENCY, maxOperations: MAX_PUT_REQUESTS, maxMs: PUT_MAX_MS }, async (i, signal) => {
    try {
      const out = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: batches[i % batches.length] }), { abortSignal: signal });
      const failed = out.FailedRecordCount ?? 0;
      acknowledged += RECORDS_PER_REQUEST - failed;
      failures += failed;
    } catch (err) {
      if (signal.aborted) throw err; // cut off by the time bound: neither acknowledged nor failed
      failures += RECORDS_PER_REQUEST;
      firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  });
  if (firstError) ctx.log(`  ${label}: PutRecords failed, first error: ${firstError}`);
  if (outcome.abandoned > 0) ctx.log(`  ${label}: ${outcome.abandoned} PutRecords requests still in flight at the time bound were aborted`);
  return { operation: 'PutRecords', records: acknowledged, bytes: acknowledged * RECORD_BYTES, seconds: outcome.seconds, failures };
}

/** Reads every shard from TRIM_HORIZON in parallel (one reader per shard) until it is drained or time is up. */
async function getPhase(client: KinesisClient, ctx: BenchContext, label: string): Promise<Omit<BenchRow, 'target'>> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
  const iterators = await Promise.all(
    shards.map(async (s) => (await client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator),
  );
  let records = 0;
  let bytes = 0;
  let failures = 0;
  // One "operation" per shard reader; the time bound aborts a reader's call in flight.
  const outcome = await runClosedLoop({ concurrency: iterators.length, maxOperations: iterators.length, maxMs: GET_MAX_MS }, async (i, signal) => {
    let iterator = iterators[i];
    while (iterator !== undefined) {
      try {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_LIMIT }), { abortSignal: signal });
        const got = out.Records ?? [];
        records += got.length;
        for (const r of got) bytes += r.Data?.byteLength ?? 0;
        iterator = got.length === 0 ? undefined : out.NextShardIterator;
      } catch (err) {
        if (signal.aborted) throw err;
        failures++;
        ctx.log(`  ${label}: GetRecords failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        return;
      }
    }
  });
  if (outcome.abandoned > 0) ctx.log(`  ${label}: ${outcome.abandoned} shard readers were still reading at the time bound`);
  return { operation: 'GetRecords', records, bytes, seconds: outcome.seconds, failures };
}

async function runScenario(scenario: Scenario, batches: PutRecordsRequestEntry[][], ctx: BenchContext): Promise<BenchRow[]> {
  ctx.log(`${scenario.label}: starting`);
  const peer = await scenario.start(ctx);
  const client = kinesisClient(peer.url, { http: scenario.http, maxAttempts: 1, maxSockets: CONCURRENCY });
  try {
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
    await waitForActive(client, STREAM, 30_000);
    for (let i = 0; i < WARMUP_REQUESTS; i++) await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: batches[i % batches.length] }));
    ctx.log(`${scenario.label}: PutRecords for up to ${PUT_MAX_MS / 1000} s`);
    const put = await putPhase(client, batches, ctx, scenario.label);
    if (scenario.putOnly) return [{ target: scenario.label, ...put }];
    ctx.log(`${scenario.label}: GetRecords for up to ${GET_MAX_MS / 1000} s`);
    const get = await getPhase(client, ctx, scenario.label);
    return [
      { target: scenario.label, ...put },
      { target: scenario.label, ...get },
    ];
  } finally {
    client.destroy();
    await peer.close();
  }
}

export const ingestThroughput: BenchModule = {
  name: 'ingest',
  summary: 'kedge ingest vs kinesalite vs kinesis-local: PutRecords and GetRecords throughput',
  async run(ctx): Promise<BenchResult> {
    const batches = batchTemplates();
    const rows: BenchRow[] = [];
    const failures: string[] = [];
    for (const scenario of scenarios) {
      // One target failing to start must not hide the others' numbers; it shows up as a note and n/a ratios.
      try {
        rows.push(...(await runScenario(scenario, batches, ctx)));
      } catch (err) {
        failures.push(`${scenario.label} did not run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        ctx.log(failures[failures.length - 1] as string);
      }
    }
    const ours = 'kedge (HTTP/1.1)';
    return {
      title: `ingest throughput: ${RECORDS_PER_REQUEST} × ${RECORD_BYTES} B records per PutRecords, ${SHARDS} shards, ${CONCURRENCY} concurrent requests, GetRecords Limit ${GET_LIMIT}`,
      rows,
      ratios: [
        { operation: 'PutRecords', subject: ours, baseline: 'kinesalite', goal: 3 },
        { operation: 'PutRecords', subject: ours, baseline: 'kinesis-local', goal: 2 },
        { operation: 'GetRecords', subject: ours, baseline: 'kinesalite' },
        { operation: 'GetRecords', subject: ours, baseline: 'kinesis-local' },
        { operation: 'PutRecords', subject: 'kedge (HTTP/2, default client)', baseline: ours },
        { operation: 'PutRecords', subject: ours, baseline: 'null server (client ceiling)' },
      ],
      notes: [
        ...failures,
        'records/s counts acknowledged records (PutRecords) or records returned (GetRecords); MiB/s counts record data only.',
        `bounds per target: PutRecords stops at ${MAX_PUT_REQUESTS * RECORDS_PER_REQUEST} records or ${PUT_MAX_MS / 1000} s, GetRecords at the end of the data or ${GET_MAX_MS / 1000} s; requests in flight at the time bound are aborted and not counted.`,
        'the null server answers from canned JSON: its row is what this load generator can push at all on this machine.',
        'clients: AWS SDK v3 with NodeHttpHandler (HTTP/1.1, keep-alive) for every row except the HTTP/2 one, which uses the default client.',
      ],
    };
  },
};
