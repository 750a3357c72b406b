/**
 * Micro-benchmark: the camera path's CPU cost per byte, on the 1080p raspivid fixture (1.38 MB, 61 frames).
 *
 *   node --import tsx test/bench/media.ts        (alone)
 *   import { run } from './media.js'             (prints), or `mediaBench` for run.ts's module list
 *
 * Rows: Annex B -> access units (split + group); Annex B -> MKV (the same plus avcC, one Cluster per GOP,
 * length-prefixed NAL units written in place), the work a camera source does per frame before the
 * fragment store; and the MKV reader over that output (what the local video target does per PutMedia
 * body). Input arrives in 64 KiB chunks, the size of a Linux pipe read from ffmpeg's stdout, and
 * again in 4 KiB chunks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AnnexBAccessUnitParser, buildAvcc, lengthPrefixedPayload, type AccessUnit } from '../../src/media/h264/index.js';
import { encodeCluster, encodeStreamHeader, MkvReader } from '../../src/media/mkv/index.js';
import type { BenchModule, BenchResult, BenchRow } from './report.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/h264/raspivid-pi-camera-1080p25-61frames.h264', import.meta.url));
const CHUNK = 64 * 1024;
const ITERATIONS = 300;
const WARMUP = 5;

function chunksOf(bytes: Buffer, size = CHUNK): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < bytes.length; p += size) out.push(bytes.subarray(p, p + size));
  return out;
}

function toAccessUnits(chunks: readonly Buffer[]): { aus: AccessUnit[]; parser: AnnexBAccessUnitParser } {
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 1_700_000_000_000, fps: 25 } });
  const aus: AccessUnit[] = [];
  for (const c of chunks) parser.push(c, aus);
  parser.end(aus);
  return { aus, parser };
}

function toMkv(chunks: readonly Buffer[]): Uint8Array[] {
  const { aus, parser } = toAccessUnits(chunks);
  const ps = parser.parameterSets()!;
  const out: Uint8Array[] = [encodeStreamHeader({ track: { codecPrivate: buildAvcc([ps.sps.data], ps.pps.map((p) => p.data)), width: ps.spsInfo.width, height: ps.spsInfo.height } })];
  let gop: AccessUnit[] = [];
  const flush = (): void => {
    if (gop.length > 0) out.push(encodeCluster(gop[0]!.timestampMs, gop.map((a) => ({ timecode: a.timestampMs, keyframe: a.keyframe, payload: lengthPrefixedPayload(a.nalUnits) }))));
    gop = [];
  };
  for (const au of aus) {
    if (au.keyframe) flush();
    gop.push(au);
  }
  flush();
  return out;
}

function readMkv(chunks: readonly Buffer[]): number {
  const reader = new MkvReader();
  let blocks = 0;
  for (const c of chunks) for (const e of reader.push(c)) if (e.type === 'simpleBlock') blocks++;
  reader.end();
  return blocks;
}

function measure(operation: string, bytesPerIteration: number, framesPerIteration: number, work: () => unknown): BenchRow {
  for (let i = 0; i < WARMUP; i++) work();
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i++) work();
  const seconds = (performance.now() - start) / 1000;
  // "records" are frames here.
  return { target: 'kedge media', operation, records: framesPerIteration * ITERATIONS, bytes: bytesPerIteration * ITERATIONS, seconds, failures: 0 };
}

function measureAll(): BenchResult {
  const bytes = readFileSync(FIXTURE);
  const chunks = chunksOf(bytes);
  const frames = toAccessUnits(chunks).aus.length;
  const mkv = Buffer.concat(toMkv(chunks));
  const mkvChunks = chunksOf(mkv);
  // Small reads (a slow pipe, a PutMedia body in small HTTP chunks): more NAL units and blocks span chunks.
  const small = chunksOf(bytes, 4096);
  const smallMkv = chunksOf(mkv, 4096);
  const rows = [
    measure('Annex B -> access units', bytes.length, frames, () => toAccessUnits(chunks)),
    measure('Annex B -> MKV (header + clusters)', bytes.length, frames, () => toMkv(chunks)),
    measure('MKV reader (own output)', mkv.length, frames, () => readMkv(mkvChunks)),
    measure('Annex B -> MKV, 4 KiB chunks', bytes.length, frames, () => toMkv(small)),
    measure('MKV reader, 4 KiB chunks', mkv.length, frames, () => readMkv(smallMkv)),
  ];
  return {
    title: `media: ${FIXTURE.split('/').pop()} (${bytes.length.toLocaleString('en-US')} B, ${frames} frames 1920x1080), ${CHUNK / 1024} KiB chunks unless said, ${ITERATIONS} runs, node ${process.version}`,
    rows,
    ratios: [],
    notes: ['records = frames; MB/s counts Annex B input bytes for the parser rows and MKV bytes for the reader rows'],
  };
}

export const mediaBench: BenchModule = {
  name: 'media',
  summary: 'Annex B -> access units -> MKV, and the MKV reader, on the 1080p fixture',
  run: async () => measureAll(),
};

export async function run(): Promise<void> {
  const result = measureAll();
  console.log(result.title);
  for (const r of result.rows) {
    const mbps = r.bytes / r.seconds / 1e6;
    console.log(`${r.operation.padEnd(40)} ${mbps.toFixed(0).padStart(6)} MB/s  ${Math.round(r.records / r.seconds).toLocaleString('en-US').padStart(8)} frames/s  (${r.seconds.toFixed(2)} s)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
