/**
 * The local ingest target (`kedge ingest`): the Kinesis Data Streams, Firehose and Kinesis Video Streams
 * services behind one HTTP/1.1 + h2c port. This module only composes: it resolves options, lays out the
 * data directory (`DIR/streams/`, `DIR/firehose/`, `DIR/s3/<bucket>/`, `DIR/video/`), opens the services,
 * registers them, listens, and closes everything in reverse order (video before the server).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { mathRng, systemClock, type Clock, type Rng } from '../core/clock.js';
import { InvalidInputError } from '../core/errors.js';
import { createAuthenticator, type Credential } from './auth/authenticator.js';
import { openFirehoseService, type FirehoseService, type FirehoseServiceOptions } from './firehose/service.js';
import { createIngestServer } from './server/ingest-server.js';
import { openStreamsService, type StreamsService, type StreamsServiceOptions } from './streams/service.js';
import { openVideoService, type VideoService, type VideoServiceOptions } from './video/service.js';

export const DEFAULT_INGEST_PORT = 4567;
export const DEFAULT_INGEST_HOST = '127.0.0.1';
export const DEFAULT_INGEST_DATA_DIR = './.kedge/ingest';
export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

export interface IngestTargetOptions {
  /** Default 4567; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Persist here (default `./.kedge/ingest`); ignored with `memory`. */
  dataDir?: string;
  /** Keep streams and Firehose buffers in memory only; S3 objects go to a fresh temp dir, removed on close. */
  memory?: boolean;
  /** Verify SigV4 signatures against these keys; absent or empty: accept any caller. */
  auth?: Credential[];
  /** Enforce AWS's per-shard throughput limits. Default true. */
  limits?: boolean;
  /** 0..1: share of writes failed on purpose, to exercise producers' retries. Default 0. */
  faultRate?: number;
  /** Replaces every delivery stream's buffering interval. */
  firehoseIntervalSeconds?: number;
  /** Lambda ARN → `./module.mjs` (exporting `handler`) or an http(s) URL, for Firehose transformation. */
  lambdas?: Record<string, string>;
  clock?: Clock;
  rng?: Rng;
  /** Region of calls that carry no signature. Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
  /** Default: pino at info on stderr. */
  logger?: Logger;
}

export interface IngestTarget {
  /** `http://host:port`, what an SDK's `endpoint` should be. */
  readonly url: string;
  readonly port: number;
  /** Absolute data directory, or undefined with `memory`. */
  readonly dataDir: string | undefined;
  /** Where Firehose writes S3 objects: `<s3Dir>/<bucket>/<key>` (a temp dir in memory mode, removed on close). */
  readonly s3Dir: string;
  /** Stops the server (letting requests in flight finish), then Firehose, then the streams; idempotent. */
  close(): Promise<void>;
}

/** The service factories, replaceable so the composition can be tested on its own. */
export interface IngestServiceFactories {
  openStreamsService(options: StreamsServiceOptions): Promise<StreamsService>;
  openFirehoseService(options: FirehoseServiceOptions): Promise<FirehoseService>;
  /** Kinesis Video Streams (DIR/video); the real one when a caller's factories leave it out. */
  openVideoService?(options: VideoServiceOptions): Promise<VideoService>;
}

const realServices: IngestServiceFactories = { openStreamsService, openFirehoseService, openVideoService };

export async function startIngestTarget(options: IngestTargetOptions = {}, services: IngestServiceFactories = realServices): Promise<IngestTarget> {
  const resolved = resolveOptions(options);
  const { logger, clock, rng } = resolved;
  const dataDir = options.memory ? undefined : resolve(options.dataDir ?? DEFAULT_INGEST_DATA_DIR);
  let lock: DataDirLock | undefined;
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    lock = lockDataDir(dataDir);
  }
  const s3Dir = dataDir !== undefined ? join(dataDir, 's3') : mkdtempSync(join(tmpdir(), 'kedge-ingest-s3-'));
  mkdirSync(s3Dir, { recursive: true });
  logger.info(
    { dataDir: dataDir ?? null, s3Dir },
    dataDir ? 'persisting to the data directory' : 'in memory; S3 objects go to a temp directory, removed when the target stops',
  );

  const opened: { close(): Promise<void> }[] = [];
  const closeOpened = async (): Promise<void> => {
    for (const part of opened.reverse()) await part.close();
    lock?.release();
    // Memory mode keeps nothing, S3 objects included (and leaves no temp dirs behind).
    if (dataDir === undefined) rmSync(s3Dir, { recursive: true, force: true });
  };
  try {
    const streams = await services.openStreamsService({
      ...(dataDir !== undefined ? { dataDir: join(dataDir, 'streams') } : {}),
      clock,
      rng,
      limits: resolved.limits,
      faultRate: resolved.faultRate,
      accountId: resolved.accountId,
      region: resolved.region,
    });
    opened.push(streams);
    const firehose = await services.openFirehoseService({
      // The Firehose store appends `firehose/` itself (store.ts), so it gets the root.
      ...(dataDir !== undefined ? { dataDir } : {}),
      s3Dir,
      clock,
      rng,
      faultRate: resolved.faultRate,
      accountId: resolved.accountId,
      region: resolved.region,
      ...(options.firehoseIntervalSeconds !== undefined ? { intervalOverrideSeconds: options.firehoseIntervalSeconds } : {}),
      lambdas: options.lambdas ?? {},
      streams,
      logger,
    });
    opened.push(firehose);
    const video = await (services.openVideoService ?? openVideoService)({
      ...(dataDir !== undefined ? { dataDir: join(dataDir, 'video') } : {}),
      clock,
      rng,
      limits: resolved.limits,
      logger,
    });
    opened.push(video);
    const server = createIngestServer({
      authenticator: createAuthenticator({ credentials: options.auth ?? [], clock, defaultRegion: resolved.region }),
      clock,
      accountId: resolved.accountId,
      defaultRegion: resolved.region,
      logger,
    });
    server.registerJsonService(streams);
    server.registerJsonService(firehose);
    server.registerPathService(video);
    opened.push(server);
    // Video closes before the server: it ends PutMedia uploads and live GetMedia reads, which would hold the drain.
    opened.splice(opened.indexOf(video), 1);
    opened.push(video);
    const address = await server.listen(resolved.port, resolved.host);
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    video.setEndpoint(url);
    logger.info({ url, auth: (options.auth ?? []).length > 0 ? 'sigv4' : 'any', limits: resolved.limits, faultRate: resolved.faultRate }, 'kedge ingest listening');
    let closing: Promise<void> | undefined;
    return {
      url,
      port: address.port,
      dataDir,
      s3Dir,
      close: () => (closing ??= closeOpened()),
    };
  } catch (err) {
    await closeOpened().catch((closeErr: unknown) => logger.error({ err: closeErr }, 'cleanup after a failed start failed'));
    throw err;
  }
}

interface ResolvedOptions {
  port: number;
  host: string;
  limits: boolean;
  faultRate: number;
  region: string;
  accountId: string;
  clock: Clock;
  rng: Rng;
  logger: Logger;
}

function resolveOptions(options: IngestTargetOptions): ResolvedOptions {
  const port = options.port ?? DEFAULT_INGEST_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInputError('INGEST_BAD_PORT', `port must be a whole number from 0 to 65535 (0 picks a free one), got ${port}`);
  }
  const faultRate = options.faultRate ?? 0;
  if (!(faultRate >= 0 && faultRate <= 1)) {
    throw new InvalidInputError('INGEST_BAD_FAULT_RATE', `faultRate must be between 0 and 1 (e.g. 0.05 for 5 %), got ${faultRate}`);
  }
  const interval = options.firehoseIntervalSeconds;
  if (interval !== undefined && !(interval > 0 && Number.isFinite(interval))) {
    throw new InvalidInputError('INGEST_BAD_FIREHOSE_INTERVAL', `firehoseIntervalSeconds must be a positive number of seconds, got ${interval}`);
  }
  for (const credential of options.auth ?? []) {
    if (!credential.accessKeyId || !credential.secretAccessKey) {
      throw new InvalidInputError('INGEST_BAD_AUTH', 'every auth entry needs a non-empty accessKeyId and secretAccessKey');
    }
  }
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId)) {
    throw new InvalidInputError('INGEST_BAD_ACCOUNT_ID', `accountId must be 12 digits, got '${accountId}'`);
  }
  return {
    port,
    host: options.host ?? DEFAULT_INGEST_HOST,
    limits: options.limits ?? true,
    faultRate,
    region: options.region ?? DEFAULT_REGION,
    accountId,
    clock: options.clock ?? systemClock,
    rng: options.rng ?? mathRng,
    logger: options.logger ?? pino({ name: 'kedge-ingest' }, pino.destination(2)),
  };
}

interface DataDirLock {
  release(): void;
}

/**
 * One target per data directory: two processes appending to the same journals would corrupt them. The lock
 * file holds the owner's pid; a lock left by a process that no longer exists (killed) is taken over.
 */
function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, 'kedge-ingest.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (owner > 0 && processExists(owner)) {
      throw new InvalidInputError(
        'INGEST_DATA_DIR_IN_USE',
        `${dir} is in use by kedge ingest (pid ${owner}); stop that process, or use another data directory or memory mode`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new InvalidInputError('INGEST_DATA_DIR_IN_USE', `could not take the lock ${path}; another process keeps creating it`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
