/**
 * Drives the Firehose service without waiting: a manual clock, a seeded RNG, a sleep that only moves the clock,
 * and a scheduler whose tick the test fires. Objects are read back from the real local S3 directory.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { openFirehoseService, type FirehoseService, type FirehoseServiceOptions, type Scheduler } from '../../../../src/ingest/firehose/service.js';
import type { JsonService, OperationContext } from '../../../../src/ingest/server/types.js';
import { ManualClock } from '../../../helpers/manual-clock.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/firehose`;

export class ManualScheduler implements Scheduler {
  readonly registrations: number[] = [];
  private ticks: Array<() => void> = [];

  every(ms: number, tick: () => void): () => void {
    this.registrations.push(ms);
    this.ticks.push(tick);
    return () => {
      this.ticks = this.ticks.filter((t) => t !== tick);
    };
  }

  fire(): void {
    for (const t of this.ticks) t();
  }
}

export interface Harness {
  readonly service: FirehoseService;
  readonly clock: ManualClock;
  readonly scheduler: ManualScheduler;
  /** Every delay the service slept, in order. */
  readonly sleeps: number[];
  readonly dir: string;
  readonly s3Dir: string;
  call(operation: string, input: unknown): Promise<any>;
  /** Moves the clock, fires the timer once, and waits for the work it started. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export const noStreams: JsonService = { targetPrefix: 'Kinesis_20131202', signingName: 'kinesis', operations: {} };

export async function makeDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kedge-firehose-'));
}

export async function openHarness(
  options: Partial<FirehoseServiceOptions> & { dir?: string; clock?: ManualClock; removeDir?: boolean } = {},
): Promise<Harness> {
  const dir = options.dir ?? (await makeDir());
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 10, 25, 21, 30, 5, 123));
  const scheduler = new ManualScheduler();
  const sleeps: number[] = [];
  const s3Dir = join(dir, 's3');
  const service = await openFirehoseService({
    s3Dir,
    clock,
    rng: seededRng(7),
    faultRate: 0,
    accountId: ACCOUNT,
    region: REGION,
    lambdas: {},
    streams: noStreams,
    logger: pino({ level: 'silent' }),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    scheduler,
    ...options,
  });
  let requests = 0;
  const ctx = (): OperationContext => ({ requestId: `req-${++requests}`, region: REGION, accountId: ACCOUNT, now: clock.now() });
  return {
    service,
    clock,
    scheduler,
    sleeps,
    dir,
    s3Dir,
    async call(operation, input) {
      const op = service.operations[operation];
      if (!op) throw new Error(`no operation ${operation}`);
      return op(input, ctx());
    },
    async advance(ms) {
      clock.advance(ms);
      scheduler.fire();
      await service.whenIdle();
    },
    async close() {
      await service.close();
      if (!options.dir || options.removeDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
}

/** Every object of a local bucket, keys relative to it, sorted; `.gz` objects are gunzipped. */
export async function listObjects(s3Dir: string, bucket: string): Promise<StoredObject[]> {
  const root = join(s3Dir, bucket);
  let files: string[];
  try {
    files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
  } catch {
    return [];
  }
  const out = await Promise.all(
    files.map(async (f) => {
      const raw = await readFile(f);
      const key = relative(root, f).split('\\').join('/');
      return { key, body: key.endsWith('.gz') ? gunzipSync(raw) : raw };
    }),
  );
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export function s3Stream(name: string, destination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    DeliveryStreamName: name,
    ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::bucket', ...destination },
    ...extra,
  };
}
