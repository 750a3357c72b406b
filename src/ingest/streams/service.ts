/**
 * The Kinesis Data Streams API of the local ingest target, as an awsJson1_1 service (`Kinesis_20131202.<Op>`).
 *
 * Behaviour worth knowing (details in each module):
 * - Streams are ACTIVE at once by default (`createDelayMs` 0), so SDK waiters succeed on their first poll; with
 *   a delay they are CREATING until the injected clock passes it. Deleted streams vanish at once.
 * - Streams are kept per region (the request's SigV4 region, else `region`); StreamARN works wherever StreamName does.
 * - Sequence numbers: sequence-number.ts. Iterators: shard-iterator.ts (HMAC-signed, valid across restarts).
 * - With `dataDir`, every acknowledged change is in `<dataDir>/streams.journal` before the reply (persistence.ts).
 * - The injected clock drives status, arrival times, retention, iterator expiry and throughput windows; the
 *   OperationContext's `now` is not used, so in-process callers cannot skew it.
 * - PutRecords and GetRecords answer with JSON they serialized themselves (a Buffer); in-process callers parse it.
 *   Every other operation returns a plain object.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Rng } from '../../core/clock.js';
import type { JsonService, Operation } from '../server/types.js';
import { DEFAULT_ACCOUNT_SHARD_LIMIT } from './limits.js';
import type { Stream } from './model.js';
import { JournalStreamStore, MemoryStreamStore, type StreamStore } from './persistence.js';
import { controlOperations } from './ops/control.js';
import { listShardsOperation } from './ops/list-shards.js';
import { putOperations } from './ops/put.js';
import { readOperations } from './ops/read.js';
import { reshardOperations } from './ops/reshard.js';
import { tagOperations } from './ops/tags.js';
import { StreamsState } from './state.js';

export interface StreamsServiceOptions {
  /** Where the journal and the iterator secret live; undefined = memory only. */
  dataDir?: string;
  clock: Clock;
  rng: Rng;
  /** Enforce AWS's per-shard throughput (and CreateStream's control-plane rate). */
  limits: boolean;
  /** 0..1: the share of written records (PutRecords) or requests (PutRecord) failed, half InternalFailure, half throttled. */
  faultRate: number;
  accountId: string;
  /** Region for requests whose context names none. */
  region: string;
  /** Open shards per account and region; default 500. */
  shardLimit?: number;
  /** CREATING time of a new stream, on the injected clock; default 0 (ACTIVE at once). */
  createDelayMs?: number;
  /** UPDATING time after a reshard or retention change; default 0. */
  updateDelayMs?: number;
  /** Journals below this size are never compacted; default 64 MiB. */
  compactMinBytes?: number;
}

export interface StreamsService extends JsonService {
  /** Flushes and closes the journal. Operations must not be called afterwards. */
  close(): Promise<void>;
}

const SECRET_FILE = 'streams.secret';

/** The iterator/token secret: persisted with the data so iterators survive a restart; random per instance otherwise. */
function loadSecret(dataDir: string | undefined): Buffer {
  if (dataDir === undefined) return randomBytes(32);
  const path = join(dataDir, SECRET_FILE);
  if (existsSync(path)) {
    const secret = readFileSync(path);
    if (secret.length === 32) return secret;
  }
  const secret = randomBytes(32);
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

export async function openStreamsService(options: StreamsServiceOptions): Promise<StreamsService> {
  let store: StreamStore;
  let streams: Map<number, Stream>;
  if (options.dataDir !== undefined) {
    mkdirSync(options.dataDir, { recursive: true });
    const opened = JournalStreamStore.open(options.dataDir, { compactMinBytes: options.compactMinBytes });
    store = opened.store;
    streams = opened.streams;
  } else {
    store = new MemoryStreamStore();
    streams = new Map();
  }
  const state = new StreamsState(
    {
      clock: options.clock,
      rng: options.rng,
      limits: options.limits,
      faultRate: Math.min(1, Math.max(0, options.faultRate)),
      accountId: options.accountId,
      defaultRegion: options.region,
      shardLimit: options.shardLimit ?? DEFAULT_ACCOUNT_SHARD_LIMIT,
      createDelayMs: options.createDelayMs ?? 0,
      updateDelayMs: options.updateDelayMs ?? 0,
    },
    store,
    streams,
    loadSecret(options.dataDir),
  );
  // Records that expired while the target was down go now, not on first access.
  const now = state.now();
  for (const stream of streams.values()) state.trimStream(stream, now);

  const operations: Record<string, Operation> = {
    ...controlOperations(state),
    ...listShardsOperation(state),
    ...putOperations(state),
    ...readOperations(state),
    ...reshardOperations(state),
    ...tagOperations(state),
  };
  let closed = false;
  return {
    targetPrefix: 'Kinesis_20131202',
    signingName: 'kinesis',
    operations,
    async close() {
      if (closed) return;
      closed = true;
      store.close();
    },
  };
}
