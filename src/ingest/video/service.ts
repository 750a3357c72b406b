/**
 * The Kinesis Video Streams part of the ingest target: control plane, PutMedia, GetMedia, archived media
 * and HLS, as path routes on the shared port. Data lives under `<dataDir>/` (the target passes
 * `DIR/video`): `registry.journal` for the streams, `streams/<name>/` for each stream's fragments.
 */
import type { Logger } from 'pino';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import { timerSleep } from '../../retry/sleep.js';
import type { PathRoute, PathService, StreamingPathRoute } from '../server/types.js';
import { archivedMediaRoutes } from './archived-media.js';
import { controlPlaneRoutes } from './control-plane.js';
import { getMediaRoute } from './get-media.js';
import { hlsRoutes } from './hls/hls-routes.js';
import { IDLE_ACK_INTERVAL_MS, PUT_MEDIA_IDLE_TIMEOUT_MS } from './limits.js';
import { putMediaRoute, type RunningUpload } from './put-media-route.js';
import { VideoCatalog } from './video-catalog.js';

export interface VideoServiceOptions {
  /** Where streams and fragments persist; undefined: memory only. */
  readonly dataDir?: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Timers of PutMedia (IDLE, idle close) and of live GetMedia waits. Default: real timers. */
  readonly sleep?: Sleep;
  /** Enforce the service's TPS and connection limits. Default true. */
  readonly limits?: boolean;
  /** Memory mode: fragment bytes kept per stream before the oldest are dropped. Default 256 MiB. */
  readonly memoryLimitBytes?: number;
  readonly idleAckIntervalMs?: number;
  readonly idleTimeoutMs?: number;
  /** How often a live GetMedia with nothing to send checks that its reader is still connected. Default 5 s. */
  readonly getMediaHeartbeatMs?: number;
  /** ffmpeg for MPEG-TS HLS segments. Default `ffmpeg` (on PATH). */
  readonly ffmpegPath?: string;
}

export interface VideoService extends PathService {
  /** The target's URL, handed out by GetDataEndpoint and in HLS session URLs. */
  setEndpoint(url: string): void;
  /** Ends running uploads (their complete fragments are stored), wakes live readers, closes the files. */
  close(): Promise<void>;
}

export async function openVideoService(options: VideoServiceOptions): Promise<VideoService> {
  const sleep = options.sleep ?? timerSleep;
  const catalog = new VideoCatalog({
    dir: options.dataDir,
    clock: options.clock,
    rng: options.rng,
    memoryLimitBytes: options.memoryLimitBytes ?? 256 * 1024 * 1024,
    limits: options.limits ?? true,
  });
  const running = new Set<RunningUpload>();
  const routes: (PathRoute | StreamingPathRoute)[] = [
    ...controlPlaneRoutes(catalog),
    putMediaRoute(
      {
        catalog,
        clock: options.clock,
        sleep,
        logger: options.logger,
        idleAckIntervalMs: options.idleAckIntervalMs ?? IDLE_ACK_INTERVAL_MS,
        idleTimeoutMs: options.idleTimeoutMs ?? PUT_MEDIA_IDLE_TIMEOUT_MS,
      },
      running,
    ),
    getMediaRoute({ catalog, clock: options.clock, sleep, heartbeatMs: options.getMediaHeartbeatMs ?? 5_000 }),
    ...archivedMediaRoutes(catalog),
    ...hlsRoutes({ catalog, ffmpegPath: options.ffmpegPath ?? 'ffmpeg' }),
  ];
  let closing: Promise<void> | undefined;
  return {
    routes,
    setEndpoint: (url) => {
      catalog.endpoint = url;
    },
    close: () =>
      (closing ??= (async () => {
        const uploads = [...running];
        for (const u of uploads) u.stop();
        await Promise.allSettled(uploads.map((u) => u.finished));
        await catalog.close();
      })()),
  };
}
