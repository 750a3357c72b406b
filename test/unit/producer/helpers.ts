/**
 * Helpers for the producer's unit tests: virtual time (the clock moves only when everything else is
 * idle, so "minutes" of backoff cost nothing), a scripted Kinesis/Firehose transport that behaves
 * like the service (routes by hash key, stores what succeeds), and AWS-shaped errors.
 */
import type { Clock, Sleep } from '../../../src/core/clock.js';
import { deaggregate } from '../../../src/pipeline/aggregation/deaggregate.js';
import { hashKeyOfRecord, hashKeyToBigInt } from '../../../src/pipeline/aggregation/hash-key.js';
import type { EntryOutcome, SinkEntry, SinkTransport } from '../../../src/pipeline/producer/transport.js';
import type { ShardDescription } from '../../../src/pipeline/shard-map.js';

/** Lets promise chains and setImmediate callbacks run. */
export async function settle(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * Virtual time: `sleep` registers a timer; a pump fires the earliest one (moving the clock to it)
 * whenever a few event-loop turns passed without anything else to do.
 */
export class VirtualTime {
  #now: number;
  #seq = 0;
  readonly #timers: Timer[] = [];
  #running = false;
  #pump: Promise<void> | undefined;
  /** Every sleep asked for, in ms (to check backoff delays). */
  readonly sleeps: number[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  readonly clock: Clock = { now: () => this.#now };

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.sleeps.push(ms);
      const timer: Timer = { at: this.#now + Math.max(0, ms), seq: (this.#seq += 1), resolve: () => resolve() };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.#timers.indexOf(timer);
          if (index >= 0) this.#timers.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });

  get now(): number {
    return this.#now;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#pump = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#pump;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await settle(6);
      if (this.#timers.length === 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, 1));
        continue;
      }
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift()!;
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
    }
  }
}

/** An error shaped like an AWS SDK v3 service exception. */
export function awsError(name: string, message = `${name} (test)`, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export const HASH_SPACE = 1n << 128n;

/** Shards splitting the hash space evenly, as CreateStream does. */
export function evenShards(count: number): ShardDescription[] {
  const slice = HASH_SPACE / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(slice * BigInt(i)), EndingHashKey: String(i === count - 1 ? HASH_SPACE - 1n : slice * BigInt(i + 1) - 1n) },
  }));
}

export function shardOf(shards: readonly ShardDescription[], hashKey: bigint): ShardDescription {
  const shard = shards.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= hashKey && hashKey <= BigInt(s.HashKeyRange!.EndingHashKey!));
  if (!shard) throw new Error(`no shard for ${hashKey}`);
  return shard;
}

export interface StoredUserRecord {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: string;
}

export interface SentEntry {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

/** What the fake service does with one request: outcomes, or a thrown error. */
export type Responder = (entries: readonly SentEntry[], call: number) => EntryOutcome[] | Error | undefined;

/**
 * A Kinesis stream in memory behind the SinkTransport interface: routes entries by hash key (EHK or
 * MD5 of the partition key) like the service, stores the successful ones, and de-aggregates them for
 * the test. A `respond` hook fails entries or whole requests; undefined means "behave normally".
 */
export class FakeKinesis implements SinkTransport {
  readonly kind = 'kinesis' as const;
  readonly requests: SentEntry[][] = [];
  readonly stored: StoredUserRecord[] = [];
  listShardsCalls = 0;
  respond: Responder = () => undefined;
  listShardsError: Error | undefined;
  /** Resolves a request after this many event-loop turns (0: next turn). */
  delayTurns = 0;
  /** When set, requests wait for this promise (a stalled link). */
  stall: Promise<void> | undefined;

  constructor(public shards: ShardDescription[] = evenShards(4)) {}

  describe(): string {
    return 'Kinesis stream fake';
  }

  async listShards(): Promise<ShardDescription[]> {
    this.listShardsCalls += 1;
    await settle(1);
    if (this.listShardsError) throw this.listShardsError;
    return this.shards;
  }

  async send(entries: readonly SinkEntry[], signal?: AbortSignal): Promise<EntryOutcome[]> {
    const copies = entries.map((e) => ({ data: Buffer.from(e.data), partitionKey: e.partitionKey, explicitHashKey: e.explicitHashKey }));
    this.requests.push(copies);
    const call = this.requests.length;
    if (this.stall) await this.stall;
    await settle(1 + this.delayTurns);
    signal?.throwIfAborted();
    const scripted = this.respond(copies, call);
    if (scripted instanceof Error) throw scripted;
    const outcomes: EntryOutcome[] = scripted ?? copies.map(() => ({ ok: true as const }));
    return copies.map((entry, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return outcome;
      const hashKey = hashKeyToBigInt(hashKeyOfRecord(entry.partitionKey, entry.explicitHashKey));
      const shardId = outcome.shardId ?? shardOf(this.shards, hashKey).ShardId!;
      for (const user of deaggregate(entry)) {
        this.stored.push({ shardId, partitionKey: user.partitionKey, explicitHashKey: user.explicitHashKey, data: Buffer.from(user.data).toString() });
      }
      return { ok: true as const, shardId };
    });
  }

  destroy(): void {}

  /** User records stored, as their data strings. */
  storedData(): string[] {
    return this.stored.map((r) => r.data);
  }
}

export function failedOutcome(errorCode: string): EntryOutcome {
  return { ok: false, errorCode, errorMessage: `${errorCode} (test)` };
}

/** Waits (in real time, a few ms per turn) until `check` holds. */
export async function until(check: () => boolean, what: string, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, i < 100 ? 0 : 1));
  }
  throw new Error(`timed out waiting until ${what}`);
}
