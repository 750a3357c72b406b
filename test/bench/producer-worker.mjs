// Worker process of test/bench/producer.ts, plain JavaScript so that it runs on bare `node` (no tsx
// loader thread in its CPU time or RSS). It runs ONE scenario and prints `RESULT <json>`.
// Usage: node producer-worker.mjs <kedge|sdk|agg|fill|drain> <url> <records|megabytes> [spoolDir]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';

const STREAM = 'bench';
const CONCURRENCY = 4;
const CREDENTIALS = { accessKeyId: 'AKIDKEDGEBENCH', secretAccessKey: 'kedge-bench-secret' };
const REGION = 'us-east-1';
const DIST_INDEX = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Padding per digit count of `seq` (the only field whose width varies), so each record is 200 bytes of JSON. */
const notes = new Map();

/** One record of exactly 200 bytes of JSON; its device is the partition key. Cheap to make: every scenario pays it. */
function record(i) {
  const r = { ts: 1_767_225_600_000 + i, device: `sensor-${String(i % 1000).padStart(4, '0')}`, seq: i, temperature: 21.5, humidity: 40.25, status: 'ok', note: '' };
  const digits = i < 10 ? 1 : Math.floor(Math.log10(i)) + 1;
  let note = notes.get(digits);
  if (note === undefined) {
    note = 'x'.repeat(200 - JSON.stringify(r).length);
    notes.set(digits, note);
  }
  r.note = note;
  return r;
}

function measure(start, records, failures) {
  const cpu = process.cpuUsage(start.cpu);
  return { records, seconds: (performance.now() - start.t) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, failures };
}

async function sdk() {
  if (!existsSync(DIST_INDEX)) throw new Error('dist/index.js is missing: run `npm run build` first (npm run bench does).');
  return import(DIST_INDEX);
}

async function producer(url, spoolDir, maxBytes, rateLimit = false) {
  const { createProducer } = await sdk();
  return createProducer({
    // Our per-shard rate limiter is a politeness cap for AWS (150% of 1 MiB/s a shard): on only where the target enforces limits.
    sink: { type: 'kinesis', streamName: STREAM, ...(rateLimit ? {} : { rateLimit: false }) },
    aws: { endpoint: url, region: REGION, credentials: CREDENTIALS },
    spool: { dir: spoolDir, fsync: 'interval', maxBytes },
  });
}

async function putRecords(p, records) {
  let last;
  for (let i = 0; i < records; i++) {
    const r = record(i);
    last = p.put(r, { partitionKey: r.device });
    if (i % 1000 === 999) await last;
  }
  await last;
}

async function kedgeWorker(url, records, spoolDir, rateLimit = false) {
  const p = await producer(url, spoolDir, 1024 * 1024 * 1024, rateLimit);
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  await putRecords(p, records);
  await p.flush();
  const result = measure(start, records, p.stats().retried);
  await p.close();
  return result;
}

function client(url) {
  return new KinesisClient({ endpoint: url, region: REGION, credentials: CREDENTIALS, maxAttempts: 3 });
}

/** Sends until every entry is stored, re-sending only the failed ones (a correct producer, as ours is). */
async function putAllStored(kinesis, entries) {
  let retried = 0;
  let pending = entries;
  while (pending.length > 0) {
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: pending }));
    pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode !== undefined);
    retried += pending.length;
  }
  return retried;
}

async function sdkWorker(url, records) {
  const kinesis = client(url);
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  let next = 0;
  let retried = 0;
  const loop = async () => {
    while (next < records) {
      const from = next;
      next = Math.min(records, next + 500);
      const batch = [];
      for (let i = from; i < next; i++) {
        const r = record(i);
        batch.push({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: r.device });
      }
      retried += await putAllStored(kinesis, batch);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const result = measure(start, records, retried);
  kinesis.destroy();
  return result;
}

async function aggWorker(url, records) {
  const agg = createRequire(import.meta.url)('aws-kinesis-agg');
  const kinesis = client(url);
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  const CHUNK = 20_000;
  let retried = 0;
  const inFlight = new Set();
  const send = async (entries) => {
    while (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    const p = putAllStored(kinesis, entries).then((n) => {
      retried += n;
    });
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };
  for (let from = 0; from < records; from += CHUNK) {
    const input = [];
    for (let i = from; i < Math.min(records, from + CHUNK); i++) {
      const r = record(i);
      input.push({ partitionKey: r.device, data: Buffer.from(JSON.stringify(r)) });
    }
    const encoded = [];
    await new Promise((resolve, reject) =>
      agg.aggregate(
        input,
        (e, done) => {
          encoded.push({ Data: e.data, PartitionKey: e.partitionKey, ...(e.ExplicitHashKey ? { ExplicitHashKey: e.ExplicitHashKey } : {}) });
          done();
        },
        resolve,
        reject,
      ),
    );
    // aws-kinesis-agg makes aggregates of up to 1 MiB; PutRecords takes 5 MiB.
    for (let i = 0; i < encoded.length; i += 4) await send(encoded.slice(i, i + 4));
  }
  await Promise.all(inFlight);
  const result = measure(start, records, retried);
  kinesis.destroy();
  return result;
}

/**
 * Room for a backlog of `megabytes` of record data: each 200-byte record takes ~248 bytes in the spool
 * (its envelope with partition key, and the entry header), so the spool must hold ~1.25x the data.
 */
const backlogSpoolBytes = (megabytes) => Math.ceil(megabytes * 1.3 + 64) * 1024 * 1024;

/** Fills a disk spool with `megabytes` of records while nothing listens at `deadUrl` (the outage). */
async function fillWorker(deadUrl, megabytes, spoolDir) {
  const p = await producer(deadUrl, spoolDir, backlogSpoolBytes(megabytes));
  const records = Math.ceil((megabytes * 1024 * 1024) / 200);
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  await putRecords(p, records);
  const result = measure(start, records, 0);
  await p.close({ timeoutMs: 0 });
  return result;
}

/** Delivers the backlog left in the spool: the process whose peak RSS must stay under 100 MB. */
async function drainWorker(url, megabytes, spoolDir) {
  const p = await producer(url, spoolDir, backlogSpoolBytes(megabytes));
  const backlog = p.stats().recovered;
  const start = { t: performance.now(), cpu: process.cpuUsage() };
  await p.flush();
  const result = measure(start, backlog, p.stats().retried);
  await p.close();
  return result;
}

const [kind, url, amount, spoolDir] = process.argv.slice(2);
const workers = { kedge: kedgeWorker, 'kedge-limited': (url, records, dir) => kedgeWorker(url, records, dir, true), sdk: sdkWorker, agg: aggWorker, fill: fillWorker, drain: drainWorker };
if (!workers[kind]) throw new Error(`unknown worker ${kind}`);
const result = await workers[kind](url, Number(amount), spoolDir);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
