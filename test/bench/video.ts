/**
 * Video producer bench: a 1080p30 camera stream in copy mode through kedge into the local target on loopback.
 *
 *   node --import tsx test/bench/video.ts [SECONDS]       (alone; default 60)
 *   npm run bench -- video [--video-seconds=N]             (through run.ts)
 *
 * The "camera" is a 1080p30 H.264 recording (libx264 ultrafast, 1 s GOP, ~6 Mbit/s, encoded once into the
 * temp dir and reused) replayed by ffmpeg at its native rate (`file:` source, -re, -c copy), so ffmpeg does
 * almost no work and what is measured is kedge's own path: Annex B parsing, GOP fragmenting, MKV, the
 * fsynced disk store, PutMedia and its ACKs.
 *
 * Measured:
 *  - glass-to-PERSISTED latency per fragment (p50, p95): from the capture time of the fragment's first frame
 *    (when its first bytes came out of ffmpeg) to the PERSISTED ACK freeing it. Goal: p50 < GOP + 300 ms.
 *  - the kedge process's CPU (share of one core) and RSS. The producer runs in its own process (the built
 *    dist/ when present, so no TypeScript loader is counted), read from /proc; ffmpeg and the target are
 *    other processes and not counted. Goals: CPU < 5 % of one core, RSS < 80 MB.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { startIngestTarget } from '../../src/ingest/target.js';
import { runTool } from '../../src/media/ffmpeg/index.js';
import { ProducerProcess } from '../integration/camera-producer-process.js';
import { formatResult, type BenchModule, type BenchResult } from './report.js';

const GOP_SECONDS = 1;
const FPS = 30;
const BITRATE = '6M';
/** Samples before this are start-up (module loading, first connection), not steady state. */
const WARMUP_SECONDS = 5;
/** The producer module as `kedge video` loads it (not the whole SDK index). */
const DIST_PRODUCER = fileURLToPath(new URL('../../dist/pipeline/video-producer.js', import.meta.url));
/** Linux reports process CPU time in clock ticks; 100 per second on every architecture kedge targets. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface VideoBenchOptions {
  /** How long the camera streams (default 60 s). */
  readonly durationSeconds?: number;
  readonly log?: (line: string) => void;
  /** A built module exporting createVideoProducer (default dist/pipeline/video-producer.js when built, else src/ via tsx). */
  readonly producerModule?: string;
  /** `node` flags for the producer process, e.g. `--max-semi-space-size=1`. */
  readonly producerNodeArgs?: readonly string[];
}

/** The 1080p30 recording, encoded once per length and kept in the temp dir for later runs. */
async function recording(seconds: number, log: (line: string) => void): Promise<string> {
  const path = join(tmpdir(), `kedge-bench-video-1080p30-gop1-${seconds}s.mp4`);
  if (existsSync(path)) return path;
  log(`encoding ${seconds} s of 1080p30 into ${path} (once)`);
  const partial = `${path}.partial.mp4`;
  const result = await runTool(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=${FPS}`, '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', String(FPS * GOP_SECONDS), '-keyint_min', String(FPS * GOP_SECONDS), '-sc_threshold', '0',
      '-pix_fmt', 'yuv420p', '-b:v', BITRATE, '-maxrate', BITRATE, '-bufsize', '12M', partial],
    30 * 60_000,
  );
  if (result.code !== 0) throw new Error(`could not encode the bench recording: ${result.stderr.trim().split('\n').pop()}`);
  const { renameSync } = await import('node:fs');
  renameSync(partial, path);
  return path;
}

interface ProcSample {
  readonly atMs: number;
  readonly cpuTicks: number;
  readonly rssBytes: number;
}

function readProc(pid: number): ProcSample {
  // /proc/PID/stat: fields after the ")" of the command name; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { atMs: performance.now(), cpuTicks, rssBytes: rssKb * 1024 };
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export async function measure(options: VideoBenchOptions = {}): Promise<BenchResult> {
  const seconds = options.durationSeconds ?? 60;
  const log = options.log ?? ((line: string) => process.stderr.write(`bench video: ${line}\n`));
  const file = await recording(seconds, log);
  const work = mkdtempSync(join(tmpdir(), 'kedge-bench-video-'));
  const target = await startIngestTarget({ port: 0, host: '127.0.0.1', dataDir: join(work, 'target'), logger: pino({ level: 'silent' }) });
  const builtModule = options.producerModule ?? (existsSync(DIST_PRODUCER) ? DIST_PRODUCER : undefined);
  const built = builtModule !== undefined;
  let producer: ProducerProcess | undefined;
  try {
    producer = await ProducerProcess.start(
      {
        streamName: 'bench-1080p30',
        source: `file:${file}`,
        aws: { region: 'us-east-1', endpoint: target.url, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } },
        create: { retentionHours: 1 },
        store: { dir: join(work, 'store') },
      },
      { module: builtModule ?? 'source', nodeArgs: options.producerNodeArgs ?? [] },
    );
    log(`streaming ${seconds} s from ${file} (producer pid ${producer.pid}, ${built ? builtModule : 'src/ through tsx: RSS includes the loader'})`);
    const samples: ProcSample[] = [];
    const started = performance.now();
    const sampler = setInterval(() => samples.push(readProc(producer!.pid)), 1000);
    const ended = new Promise<void>((resolve) => {
      const check = (): void => (producer!.events.some((e) => e.type === 'capture-ended') ? resolve() : void setTimeout(check, 200));
      check();
    });
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, (seconds + 30) * 1000))]);
    clearInterval(sampler);
    const elapsedSeconds = (performance.now() - started) / 1000;
    await producer.stopCapture();
    const flushed = await producer.flush(60_000);
    const stats = await producer.stats();

    const steady = samples.filter((s) => s.atMs - started >= WARMUP_SECONDS * 1000);
    const first = steady[0];
    const last = steady.at(-1);
    const cpuShare = first && last && last.atMs > first.atMs ? (last.cpuTicks - first.cpuTicks) / CLOCK_TICKS_PER_SECOND / ((last.atMs - first.atMs) / 1000) : NaN;
    const rss = steady.map((s) => s.rssBytes);
    const rssMax = Math.max(...rss);
    // When the peak came: a start-up peak (the young generation V8 sized while loading modules, shrunk by its
    // memory reducer a few seconds later) reads differently from growth that keeps going.
    const rssMaxAtSeconds = Math.round((steady[rss.indexOf(rssMax)]!.atMs - started) / 1000);
    const lastTen = rss.slice(-10);
    const rssEndMean = lastTen.reduce((a, b) => a + b, 0) / Math.max(1, lastTen.length);
    const rssMean = rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length);
    const latencies = producer.events.flatMap((e) => (e.type === 'fragment-persisted' ? [e.latencyMs] : [])).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const goalMs = GOP_SECONDS * 1000 + 300;
    const mb = (n: number): string => (n / (1024 * 1024)).toFixed(1);
    return {
      title: `video: 1080p30 H.264 copy (file replay at native rate, ${GOP_SECONDS} s GOP, ${BITRATE}bit/s) -> kedge -> local target on loopback`,
      rows: [
        {
          target: 'kedge video producer',
          operation: `${seconds} s of 1080p30, fragments persisted`,
          records: stats.fragments.persisted,
          bytes: stats.bytesCaptured,
          seconds: elapsedSeconds,
          failures: stats.fragments.evicted + stats.fragments.skipped + stats.fragments.dropped + stats.ackErrors,
        },
      ],
      ratios: [],
      notes: [
        `glass-to-PERSISTED latency over ${latencies.length} fragments: p50 ${p50} ms, p95 ${p95} ms (goal p50 < ${goalMs} ms: ${p50 < goalMs ? 'met' : 'MISSED'})`,
        `kedge process CPU: ${(cpuShare * 100).toFixed(2)} % of one core over ${steady.length} s after ${WARMUP_SECONDS} s warm-up (goal < 5 %: ${cpuShare < 0.05 ? 'met' : 'MISSED'})`,
        `kedge process RSS: max ${mb(rssMax)} MiB (${(rssMax / 1e6).toFixed(1)} MB) at ${rssMaxAtSeconds} s, mean ${mb(rssMean)} MiB, mean of the last 10 s ${mb(rssEndMean)} MiB (goal < 80 MB: ${rssMax < 80e6 ? 'met' : 'MISSED'})`,
        `captured ${stats.fragments.captured} fragments, ${mb(stats.bytesCaptured)} MiB (${((stats.bytesCaptured * 8) / 1e6 / elapsedSeconds).toFixed(1)} Mbit/s); flush: ${JSON.stringify(flushed)}; ${built ? `producer from ${builtModule}` : 'producer from src/ via tsx (run npm run build for the real figure)'}`,
        `CPU and RSS are the producer process alone (/proc/PID/stat, /proc/PID/status; node flags: ${(options.producerNodeArgs ?? []).join(' ') || 'none'}); ffmpeg and the ingest target run in other processes`,
      ],
    };
  } finally {
    await producer?.close();
    await target.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function secondsFromArgv(argv: readonly string[]): number | undefined {
  const flag = argv.find((a) => a.startsWith('--video-seconds='));
  const value = flag !== undefined ? Number(flag.split('=')[1]) : undefined;
  return value !== undefined && value > 0 ? value : undefined;
}

export const videoBench: BenchModule = {
  name: 'video',
  summary: 'video producer: glass-to-PERSISTED latency, CPU and RSS for a 1080p30 copy stream (--video-seconds=N, default 60)',
  run: async (ctx) => {
    const durationSeconds = secondsFromArgv(process.argv);
    return measure({ ...(durationSeconds === undefined ? {} : { durationSeconds }), log: ctx.log });
  },
};

/** Runs the bench and prints its report. */
export async function run(options: VideoBenchOptions = {}): Promise<BenchResult> {
  const result = await measure(options);
  process.stdout.write(`${formatResult(result)}\n`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // node --import tsx test/bench/video.ts [SECONDS] [PRODUCER_MODULE] [NODE_FLAGS...]
  const [seconds, module, ...nodeArgs] = process.argv.slice(2);
  const arg = Number(seconds);
  await run({
    ...(Number.isFinite(arg) && arg > 0 ? { durationSeconds: arg } : {}),
    ...(module === undefined || module === '' ? {} : { producerModule: module }),
    producerNodeArgs: nodeArgs,
  });
  process.exit(0);
}
