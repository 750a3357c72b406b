/**
 * Micro-benchmark: appends/s of 200-byte records into the disk spool with fsync 'always' (group
 * commit), against a naive baseline that makes one fdatasync per record, measured in the same run on
 * the same disk (so the disk's speed cancels out of the ratio).
 *
 *   node --import tsx test/bench/spool.ts        (alone)
 *   test/bench/run.ts can import { run }         (with the other benches)
 *
 * Rows:
 * - naive: write + fdatasyncSync per record, one producer (what journal-style code does);
 * - naive, concurrent: write + async fdatasync per record, CONCURRENCY producers (the threadpool
 *   overlaps fsyncs, still one per record);
 * - spool 'always', CONCURRENCY producers each awaiting its own append (group commit groups them);
 * - spool 'always', one producer awaiting each append (nothing to group: should match naive);
 * - spool 'interval', for scale (accepted once written; one fsync per second).
 */
import { closeSync, fdatasync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeEntry } from '../../src/spool/entry-codec.js';
import { openDiskSpool, type FsyncPolicy } from '../../src/spool/index.js';

const RECORD_BYTES = 200;
const CONCURRENCY = 256;
const NAIVE_RECORDS = 2_000;
const GROUP_RECORDS = 40_000;
const INTERVAL_RECORDS = 200_000;

interface Row {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly fdatasyncs: number;
}

function record(i: number): Buffer {
  const out = Buffer.alloc(RECORD_BYTES, 0x2e);
  out.write(`record-${i}`);
  return out;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kedge-bench-spool-'));
}

function naiveSequential(records: number): Row {
  const dir = tempDir();
  const fd = openSync(join(dir, 'naive.seg'), 'w');
  let position = 0;
  const started = performance.now();
  for (let i = 0; i < records; i += 1) {
    const frame = encodeEntry(i + 1, record(i));
    writeSync(fd, frame, 0, frame.length, position);
    position += frame.length;
    fdatasyncSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return { name: 'naive: write + fdatasync per record, 1 producer', records, seconds, fdatasyncs: records };
}

async function naiveConcurrent(records: number, concurrency: number): Promise<Row> {
  const dir = tempDir();
  const fd = openSync(join(dir, 'naive.seg'), 'w');
  let position = 0;
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < records) {
      const i = issued++;
      const frame = encodeEntry(i + 1, record(i));
      writeSync(fd, frame, 0, frame.length, position);
      position += frame.length;
      await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, producer));
  const seconds = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return { name: `naive: write + fdatasync per record, ${concurrency} producers`, records, seconds, fdatasyncs: records };
}

async function spool(policy: FsyncPolicy, records: number, concurrency: number): Promise<Row> {
  const dir = tempDir();
  const s = await openDiskSpool({ dir, fsync: policy, maxBytes: 1024 * 1024 * 1024 });
  const payloads = Array.from({ length: 1024 }, (_, i) => record(i));
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < records) {
      const i = issued++;
      await s.append(payloads[i % payloads.length]!);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, producer));
  const seconds = (performance.now() - started) / 1000;
  const fdatasyncs = s.stats().fdatasyncs;
  await s.close();
  rmSync(dir, { recursive: true, force: true });
  const who = concurrency === 1 ? '1 producer' : `${concurrency} producers`;
  return { name: `spool fsync '${policy}'${policy === 'always' ? ' (group commit)' : ''}, ${who}`, records, seconds, fdatasyncs };
}

function rate(row: Row): number {
  return row.records / row.seconds;
}

function print(row: Row): void {
  const perSync = row.fdatasyncs > 0 ? (row.records / row.fdatasyncs).toFixed(1) : '-';
  console.log(
    `${row.name.padEnd(62)} ${String(row.records).padStart(7)} rec  ${row.seconds.toFixed(2).padStart(6)} s  ${Math.round(rate(row)).toString().padStart(8)} rec/s  ${String(row.fdatasyncs).padStart(6)} fdatasyncs  ${perSync.padStart(6)} rec/fdatasync`,
  );
}

export async function run(): Promise<void> {
  console.log(`spool append bench: ${RECORD_BYTES}-byte records, ${tmpdir()}, node ${process.version}`);
  const naive = naiveSequential(NAIVE_RECORDS);
  print(naive);
  const naiveMany = await naiveConcurrent(NAIVE_RECORDS * 2, CONCURRENCY);
  print(naiveMany);
  const group = await spool('always', GROUP_RECORDS, CONCURRENCY);
  print(group);
  const single = await spool('always', NAIVE_RECORDS, 1);
  print(single);
  const interval = await spool('interval', INTERVAL_RECORDS, CONCURRENCY);
  print(interval);
  console.log(
    `ratio group commit vs naive per-record fdatasync: ${(rate(group) / rate(naive)).toFixed(1)}x (1 producer), ` +
      `${(rate(group) / rate(naiveMany)).toFixed(1)}x (${CONCURRENCY} concurrent producers)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
