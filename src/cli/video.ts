/**
 * `kedge video`: streams one camera to one Kinesis video stream, for shell scripts and tests.
 *
 * With --duration it records for that long, then waits until every fragment is PERSISTED and exits 0, or
 * exits 1 with the reason (the camera failed, delivery stopped, fragments were lost or are still waiting
 * after --drain-timeout; waiting ones stay in --store and the next run sends them). Without --duration it
 * runs until SIGINT/SIGTERM and then drains the same way. Bad flags exit 2 with a one-line reason.
 * Logs go to stderr (pino); on a terminal a progress line shows fragments persisted.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { InvalidInputError, KedgeError } from '../core/errors.js';
import { createVideoProducer, type VideoProducer, type VideoProducerOptions } from '../pipeline/video-producer.js';
import { parseCameraSource, SOURCE_SYNTAX, type CameraSource, type CaptureSettings } from '../sources/camera/index.js';

export const VIDEO_USAGE = `usage: kedge video --stream NAME --source SOURCE [options]

Streams one camera to one Kinesis video stream: capture (ffmpeg or rpicam-vid), one fragment per keyframe
group, an on-disk store that rides out link loss, and PutMedia with PERSISTED acknowledgements.

SOURCE: ${SOURCE_SYNTAX}
  test             ffmpeg test pattern (libx264)        libcamera        Raspberry Pi camera (rpicam-vid)
  v4l2:/dev/video0 UVC camera (H.264 copied, else encoded)  thermal:/dev/video2  Y16 thermal camera, false colour
  rtsp://host/path IP camera, copied                    file:clip.mp4    H.264 or MP4 replayed at its own rate

options:
  --stream NAME           the Kinesis video stream (required)
  --source SOURCE         what to capture (required)
  --duration SECONDS      record this long, then exit once every fragment is PERSISTED
  --endpoint URL          control-plane endpoint, e.g. http://127.0.0.1:4567 for kedge ingest
  --region REGION         AWS region (required without --endpoint; default us-east-1 with one)
  --create                create the stream if it does not exist
  --retention HOURS       data retention of a created stream (default 24)
  --store DIR             fragment store directory (default ./.kedge/video/<stream>)
  --store-max-mb N        store size bound in MiB (default 512); the oldest video is dropped beyond it
  --gop SECONDS           keyframe interval when kedge encodes, 1..20 (default 2): one fragment each
  --fps N                 frames per second (default 30; thermal 9)
  --size WxH              picture size (default: the source's)
  --bitrate KBPS          target bitrate when kedge encodes
  --loop                  replay file: sources for ever
  --backlog ORDER         after an outage send oldest-first (default) or live-first
  --drain-timeout SECONDS how long to wait for PERSISTED after capture stops (default 120)
  --ffmpeg PATH           ffmpeg binary to use (default: PATH, then the npm-shipped build)
  --log-level LEVEL       fatal, error, warn (default), info, debug, trace or silent; logs go to stderr
  -h, --help              show this help`;

interface VideoFlags {
  readonly help: boolean;
  readonly stream: string;
  readonly source: CameraSource;
  readonly durationMs: number | undefined;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly create: { retentionHours: number } | undefined;
  readonly storeDir: string;
  readonly storeMaxBytes: number;
  readonly capture: CaptureSettings;
  readonly backlog: 'oldest-first' | 'live-first';
  readonly drainTimeoutMs: number;
  readonly ffmpegPath: string | undefined;
  readonly logLevel: string;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const bad = (message: string): InvalidInputError => new InvalidInputError('BAD_FLAG', message);

function number(flag: string, text: string | undefined, check: (n: number) => boolean, expect: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw bad(`--${flag} ${text}: expected ${expect}`);
  return n;
}

export function parseVideoFlags(argv: readonly string[], cwd: string): VideoFlags | { help: true } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        stream: { type: 'string' },
        source: { type: 'string' },
        duration: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        create: { type: 'boolean' },
        retention: { type: 'string' },
        store: { type: 'string' },
        'store-max-mb': { type: 'string' },
        gop: { type: 'string' },
        fps: { type: 'string' },
        size: { type: 'string' },
        bitrate: { type: 'string' },
        loop: { type: 'boolean' },
        backlog: { type: 'string' },
        'drain-timeout': { type: 'string' },
        ffmpeg: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw bad((err as Error).message.split('\n')[0]!);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  if (v.stream === undefined || !/^[a-zA-Z0-9_.-]{1,256}$/.test(v.stream)) {
    throw bad(v.stream === undefined ? '--stream NAME is required' : `--stream "${v.stream}": use 1-256 letters, digits, _ . -`);
  }
  if (v.source === undefined) throw bad(`--source is required: ${SOURCE_SYNTAX}`);
  let source: CameraSource;
  try {
    source = parseCameraSource(v.source);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (v.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(v.endpoint)) throw bad(`--endpoint ${v.endpoint}: expected a URL such as http://127.0.0.1:4567`);
  if (v.region === undefined && v.endpoint === undefined) throw bad('--region is required (e.g. --region eu-central-1), or pass --endpoint for a local target');
  if (v.retention !== undefined && !v.create) throw bad('--retention only applies with --create');
  const size = v.size === undefined ? undefined : /^(\d+)x(\d+)$/.exec(v.size);
  if (size === null) throw bad(`--size ${v.size}: expected WIDTHxHEIGHT, e.g. 1280x720`);
  if (v.backlog !== undefined && v.backlog !== 'oldest-first' && v.backlog !== 'live-first') throw bad(`--backlog ${v.backlog}: expected oldest-first or live-first`);
  const logLevel = v['log-level'] ?? 'warn';
  if (!LOG_LEVELS.has(logLevel)) throw bad(`--log-level ${logLevel}: expected one of ${[...LOG_LEVELS].join(', ')}`);
  const duration = number('duration', v.duration, (n) => n > 0, 'a number of seconds above 0');
  const gop = number('gop', v.gop, (n) => n >= 1 && n <= 20, 'seconds from 1 to 20 (KVS fragments last 1 to 20 s)');
  const fps = number('fps', v.fps, (n) => n > 0 && n <= 240, 'frames per second in (0, 240]');
  const bitrate = number('bitrate', v.bitrate, (n) => Number.isInteger(n) && n > 0, 'kbit/s as a whole number');
  const capture: CaptureSettings = {
    ...(gop === undefined ? {} : { gopSeconds: gop }),
    ...(fps === undefined ? {} : { fps }),
    ...(size === undefined ? {} : { width: Number(size[1]), height: Number(size[2]) }),
    ...(bitrate === undefined ? {} : { bitrateKbps: bitrate }),
    ...(v.loop ? { loop: true } : {}),
  };
  return {
    help: false,
    stream: v.stream,
    source,
    durationMs: duration === undefined ? undefined : Math.round(duration * 1000),
    endpoint: v.endpoint,
    region: v.region ?? 'us-east-1',
    create: v.create ? { retentionHours: number('retention', v.retention, (n) => Number.isInteger(n) && n >= 1 && n <= 87_600, 'whole hours from 1 to 87600') ?? 24 } : undefined,
    storeDir: resolve(cwd, v.store ?? `.kedge/video/${v.stream}`),
    storeMaxBytes: (number('store-max-mb', v['store-max-mb'], (n) => n >= 1, 'MiB, at least 1') ?? 512) * 1024 * 1024,
    capture,
    backlog: (v.backlog as 'oldest-first' | 'live-first' | undefined) ?? 'oldest-first',
    drainTimeoutMs: (number('drain-timeout', v['drain-timeout'], (n) => n > 0, 'seconds above 0') ?? 120) * 1000,
    ffmpegPath: v.ffmpeg,
    logLevel,
  };
}

export async function videoCommand(argv: string[]): Promise<number> {
  let flags: VideoFlags | { help: true };
  try {
    flags = parseVideoFlags(argv, process.cwd());
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    process.stderr.write(`kedge video: ${err.message}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${VIDEO_USAGE}\n`);
    return 0;
  }
  const logger = pino({ name: 'kedge', level: flags.logLevel }, pino.destination({ dest: 2, sync: true }));
  let producer: VideoProducer;
  try {
    producer = await createVideoProducer(producerOptions(flags, logger));
  } catch (err) {
    if (!(err instanceof KedgeError)) throw err;
    process.stderr.write(`kedge video: ${err.message} (${err.code})\n`);
    return 1;
  }
  return runUntilDone(producer, flags);
}

function producerOptions(flags: VideoFlags, logger: Logger): VideoProducerOptions {
  return {
    streamName: flags.stream,
    source: flags.source,
    capture: flags.capture,
    aws: { region: flags.region, ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }) },
    ...(flags.create === undefined ? {} : { create: flags.create }),
    store: { dir: flags.storeDir, maxBytes: flags.storeMaxBytes },
    backlog: flags.backlog,
    ...(flags.ffmpegPath === undefined ? {} : { ffmpeg: { ffmpegPath: flags.ffmpegPath } }),
    logger,
  };
}

async function runUntilDone(producer: VideoProducer, flags: VideoFlags): Promise<number> {
  const progress = process.stderr.isTTY ? setInterval(() => writeProgress(producer), 1000) : undefined;
  let deliveryStopped: KedgeError | undefined;
  producer.on((event) => {
    if (event.type === 'delivery-stopped') deliveryStopped = event.error;
  });
  const stopSignal = new AbortController();
  const onSignal = (): void => stopSignal.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const cameraError = await Promise.race([
      producer.captureDone,
      new Promise<undefined>((resolveWait) => {
        const timer = flags.durationMs === undefined ? undefined : setTimeout(() => resolveWait(undefined), flags.durationMs);
        stopSignal.signal.addEventListener('abort', () => {
          if (timer !== undefined) clearTimeout(timer);
          resolveWait(undefined);
        });
      }),
    ]);
    await producer.stopCapture();
    const failure = await drain(producer, flags, deliveryStopped);
    if (progress !== undefined) writeProgress(producer, true);
    const stats = producer.stats();
    const reason = cameraError !== undefined ? `${cameraError.message} (${cameraError.code})` : failure;
    if (reason === undefined && stats.fragments.stored === 0) {
      const last = stats.camera.lastError;
      process.stderr.write(`kedge video: no video was captured${last === undefined ? '' : ` (last camera error: ${last})`}\n`);
      return 1;
    }
    if (reason !== undefined) {
      process.stderr.write(`kedge video: ${reason}\n`);
      return 1;
    }
    process.stdout.write(`kedge video: ${stats.fragments.persisted} fragments persisted to stream ${flags.stream}\n`);
    return 0;
  } finally {
    if (progress !== undefined) clearInterval(progress);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await producer.close();
  }
}

/** Waits for PERSISTED of everything stored; returns why not, if not. */
async function drain(producer: VideoProducer, flags: VideoFlags, deliveryStopped: KedgeError | undefined): Promise<string | undefined> {
  if (deliveryStopped !== undefined) return `delivery stopped: ${deliveryStopped.message} (${deliveryStopped.code})`;
  try {
    const result = await producer.flush(AbortSignal.timeout(flags.drainTimeoutMs));
    const lost = result.evicted + result.skipped + result.dropped + result.corrupt;
    if (lost > 0) {
      return `${lost} fragments were not delivered (evicted ${result.evicted}, skipped ${result.skipped}, not stored ${result.dropped}, corrupt ${result.corrupt}); raise --store-max-mb or see the log`;
    }
    return undefined;
  } catch (err) {
    if (err instanceof KedgeError) return `delivery stopped: ${err.message} (${err.code})`;
    const pending = producer.stats().fragments.pending;
    const last = producer.stats().delivery.lastError;
    return `${pending} fragments not PERSISTED after ${flags.drainTimeoutMs / 1000} s${last === undefined ? '' : ` (last error: ${last})`}; they stay in ${flags.storeDir} and the next run sends them`;
  }
}

function writeProgress(producer: VideoProducer, final = false): void {
  const s = producer.stats();
  const line = `fragments: ${s.fragments.persisted} persisted, ${s.fragments.pending} pending, ${s.fragments.captured} captured | camera ${s.camera.state} | link ${s.delivery.state}`;
  process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
}
