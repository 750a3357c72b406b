/**
 * The Firehose service of the local ingest target (issue 2): the Firehose_20150804 API over the transport in
 * src/ingest/server, buffered delivery to a local S3 directory or an HTTP endpoint, Lambda transformation,
 * Kinesis Data Streams as source, and persistence in a journal when `dataDir` is set.
 *
 * Time: one coarse timer for the whole service checks buffer ages and due shard polls (never a timer per
 * record). Tests inject `clock`, `rng`, `sleep` and `scheduler` and drive the service without waiting.
 */
import type { Logger } from 'pino';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import type { JsonService } from '../server/types.js';
import { timerSleep } from './backoff.js';
import { parseCreateInput } from './config.js';
import { TICK_INTERVAL_MS } from './constants.js';
import { DeliveryStream, type DeliveryRuntime } from './delivery-stream.js';
import { KinesisSource, type KinesisSourceDeps } from './kinesis-source.js';
import { LambdaInvoker } from './lambda-invoker.js';
import { firehoseOperations, type Entry } from './operations.js';
import { LocalS3Writer } from './s3-writer.js';
import { memoryStore, openJournalStore, type FirehoseStore, type LiveStream } from './store.js';

/** Runs `tick` every `ms`; returns a function that stops it. */
export interface Scheduler {
  every(ms: number, tick: () => void): () => void;
}

export const intervalScheduler: Scheduler = {
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface FirehoseServiceOptions {
  /** Journal directory; undefined keeps everything in memory. */
  dataDir?: string;
  /** Root of the local S3: objects land in `<s3Dir>/<bucket>/<key>`. */
  s3Dir: string;
  clock: Clock;
  rng: Rng;
  /** Probability (0-1) that a put record fails with ServiceUnavailableException, to exercise producers' retries. */
  faultRate: number;
  accountId: string;
  region: string;
  /** Replaces every delivery stream's buffering interval (e.g. 1 for demos and tests). */
  intervalOverrideSeconds?: number;
  /** Lambda ARN -> path of an .mjs module exporting `handler`, or an http(s) URL the event is POSTed to. */
  lambdas: Record<string, string>;
  /** The in-process Kinesis Data Streams service (ListShards, GetShardIterator, GetRecords). */
  streams: JsonService;
  logger: Logger;
  /** Waits between retries; defaults to real timers. */
  sleep?: Sleep;
  /** Drives the coarse timer; defaults to setInterval. */
  scheduler?: Scheduler;
}

export interface FirehoseService extends JsonService {
  /** Stops timers and delivery; undelivered records stay in the journal (with `dataDir`) for the next start. */
  close(): Promise<void>;
  /** Resolves once no flush, delivery or shard poll is running (for tests and orderly shutdown). */
  whenIdle(): Promise<void>;
}

export async function openFirehoseService(options: FirehoseServiceOptions): Promise<FirehoseService> {
  const logger = options.logger.child({ service: 'firehose' });
  const entries = new Map<string, Entry>();
  const work = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    work.add(p);
    const done = (): void => void work.delete(p);
    p.then(done, (err: unknown) => {
      done();
      logger.error({ err }, 'background work failed');
    });
  };

  const live = (): LiveStream[] => [...entries.values()].map((e) => e.stream.live(e.source?.positions() ?? []));
  const store: FirehoseStore = options.dataDir ? openJournalStore(options.dataDir, live, logger) : memoryStore();

  const runtime: DeliveryRuntime = {
    clock: options.clock,
    rng: options.rng,
    sleep: options.sleep ?? timerSleep,
    logger,
    store,
    s3: new LocalS3Writer(options.s3Dir, options.rng),
    invoker: new LambdaInvoker(options.lambdas, options.rng),
    region: options.region,
    intervalOverrideSeconds: options.intervalOverrideSeconds,
    track,
  };
  const sourceDeps: KinesisSourceDeps = {
    streams: options.streams,
    store,
    clock: options.clock,
    rng: options.rng,
    logger,
    accountId: options.accountId,
    region: options.region,
    track,
  };

  for (const r of store.recovered) {
    let config;
    try {
      config = parseCreateInput(r.stored.input, undefined);
    } catch (err) {
      logger.error({ deliveryStream: r.stored.name, err }, 'a journaled delivery stream no longer parses; it is not restored');
      continue;
    }
    const stream = new DeliveryStream(config, r.stored, options.accountId, runtime, { records: r.records, nextSeq: r.nextSeq });
    const source = config.source ? new KinesisSource(stream, sourceDeps, r.checkpoints) : undefined;
    entries.set(config.name, { stream, source });
  }

  const tick = (): void => {
    const now = options.clock.now();
    for (const e of entries.values()) {
      e.stream.tick(now);
      e.source?.tick(now);
    }
  };
  const stopTimer = (options.scheduler ?? intervalScheduler).every(TICK_INTERVAL_MS, tick);

  const whenIdle = async (): Promise<void> => {
    while (work.size > 0) await Promise.allSettled([...work]);
  };

  let closed = false;
  return {
    targetPrefix: 'Firehose_20150804',
    signingName: 'firehose',
    operations: firehoseOperations({ accountId: options.accountId, faultRate: options.faultRate, lambdas: options.lambdas, entries, runtime, sourceDeps, store }),
    whenIdle,
    async close() {
      if (closed) return;
      closed = true;
      stopTimer();
      for (const e of entries.values()) e.source?.stop();
      await Promise.all([...entries.values()].map((e) => e.stream.stop()));
      await whenIdle();
      const undelivered = [...entries.values()].reduce((n, e) => n + e.stream.pendingBytes, 0);
      if (undelivered > 0 && !options.dataDir) logger.warn({ undeliveredBytes: undelivered }, 'closing without a data dir: buffered records are lost');
      store.close();
    },
  };
}
