/**
 * Which shard a hash key lands on (reference/kds.md §2.2), built from ListShards output.
 *
 * Like KPL's `shard_map.cc`: keep the open shards sorted by EndingHashKey and answer with a
 * lower_bound. While the map is invalid or being refreshed, lookups answer `undefined`; callers then
 * send records unaggregated (KPL does the same), since aggregating across shards makes KCL drop
 * sub-records (§2.1).
 *
 * The AWS SDK stays out: `ShardDescription` is the structural shape of the SDK's `Shard`, so
 * sinks/kinesis can pass ListShards pages straight in.
 */
import { KedgeError } from '../core/errors.js';
import { KDS_HASH_KEY_MAX } from '../core/limits.js';
import { HASH_KEY_BYTES, type HashKey } from './aggregation/hash-key.js';

/** The fields of a ListShards `Shard` the map needs (all optional, as the SDK types them). */
export interface ShardDescription {
  readonly ShardId?: string | undefined;
  readonly HashKeyRange?:
    | { readonly StartingHashKey?: string | undefined; readonly EndingHashKey?: string | undefined }
    | undefined;
  readonly SequenceNumberRange?:
    | { readonly StartingSequenceNumber?: string | undefined; readonly EndingSequenceNumber?: string | undefined }
    | undefined;
}

export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** `invalid`: never filled or known stale. `updating`: a refresh is in flight. `ready`: usable. */
export type ShardMapState = 'invalid' | 'updating' | 'ready';

export class ShardMapError extends KedgeError {
  constructor(message: string) {
    super('SHARD_MAP_INVALID', message);
  }
}

const WORDS = 4;
const EMPTY_WORDS = new Uint32Array(0);

export class ShardMap {
  #state: ShardMapState = 'invalid';
  #version = 0;
  #shards: readonly ShardRange[] = [];
  // Range bounds as four big-endian uint32 words per shard, so a lookup compares small integers
  // instead of allocating a bigint per record.
  #startWords: Uint32Array = EMPTY_WORDS;
  #endWords: Uint32Array = EMPTY_WORDS;
  #indexById = new Map<string, number>();

  get state(): ShardMapState {
    return this.#state;
  }

  /** Increases on every successful update, so per-shard state can tell it was routed by an old map. */
  get version(): number {
    return this.#version;
  }

  /** The open shards, sorted by ending hash key. Empty unless the map is ready. */
  get shards(): readonly ShardRange[] {
    return this.#state === 'ready' ? this.#shards : [];
  }

  /** A refresh has started: lookups answer `undefined` until {@link update} succeeds. */
  beginUpdate(): void {
    this.#state = 'updating';
  }

  /** The map is known to be stale (e.g. a record landed on an unexpected shard). */
  invalidate(): void {
    this.#state = 'invalid';
  }

  /**
   * Replaces the map with the open shards among `shards` (all ListShards pages concatenated).
   * Closed shards (with an EndingSequenceNumber) are ignored. Throws {@link ShardMapError} on
   * malformed or overlapping ranges and leaves the map invalid.
   */
  update(shards: Iterable<ShardDescription>): void {
    let ranges: ShardRange[];
    try {
      ranges = openShardRanges(shards);
    } catch (error) {
      this.#state = 'invalid';
      throw error;
    }
    const startWords = new Uint32Array(ranges.length * WORDS);
    const endWords = new Uint32Array(ranges.length * WORDS);
    const indexById = new Map<string, number>();
    ranges.forEach((range, index) => {
      writeWords(range.startingHashKey, startWords, index * WORDS);
      writeWords(range.endingHashKey, endWords, index * WORDS);
      indexById.set(range.shardId, index);
    });
    this.#shards = ranges;
    this.#startWords = startWords;
    this.#endWords = endWords;
    this.#indexById = indexById;
    this.#version += 1;
    this.#state = 'ready';
  }

  /** The open shard whose range holds `hashKey`, or undefined when not ready or in a gap. */
  shardFor(hashKey: HashKey): ShardRange | undefined {
    if (this.#state !== 'ready') return undefined;
    const index = this.#indexOf(hashKey);
    return index < 0 ? undefined : this.#shards[index];
  }

  shardIdFor(hashKey: HashKey): string | undefined {
    return this.shardFor(hashKey)?.shardId;
  }

  /**
   * Whether `shardId` (e.g. from a PutRecords result) is the shard this map predicts for the key.
   * `false` means the map is stale: KPL invalidates it and retries such records (§2.2).
   * `undefined` when the map is not ready.
   */
  isPredictedShard(shardId: string, hashKey: HashKey): boolean | undefined {
    if (this.#state !== 'ready') return undefined;
    const index = this.#indexById.get(shardId);
    return index !== undefined && index === this.#indexOf(hashKey);
  }

  #indexOf(hashKey: HashKey): number {
    if (hashKey.length !== HASH_KEY_BYTES) {
      throw new RangeError(`A hash key is ${HASH_KEY_BYTES} big-endian bytes, got ${hashKey.length}.`);
    }
    const k0 = readWord(hashKey, 0);
    const k1 = readWord(hashKey, 4);
    const k2 = readWord(hashKey, 8);
    const k3 = readWord(hashKey, 12);
    const ends = this.#endWords;
    // lower_bound: the first shard whose ending hash key is >= the key.
    let low = 0;
    let high = this.#shards.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareWords(ends, mid * WORDS, k0, k1, k2, k3) < 0) low = mid + 1;
      else high = mid;
    }
    if (low === this.#shards.length) return -1;
    // The key may fall in a gap below this shard (a partial listing during resharding).
    return compareWords(this.#startWords, low * WORDS, k0, k1, k2, k3) <= 0 ? low : -1;
  }
}

function openShardRanges(shards: Iterable<ShardDescription>): ShardRange[] {
  const ranges: ShardRange[] = [];
  for (const shard of shards) {
    if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue; // closed
    const shardId = shard.ShardId;
    if (!shardId) throw new ShardMapError('ListShards returned a shard without a ShardId; cannot build the shard map.');
    const startingHashKey = parseHashKey(shard.HashKeyRange?.StartingHashKey, shardId, 'StartingHashKey');
    const endingHashKey = parseHashKey(shard.HashKeyRange?.EndingHashKey, shardId, 'EndingHashKey');
    if (startingHashKey > endingHashKey) {
      throw new ShardMapError(`Shard ${shardId} has StartingHashKey ${startingHashKey} above EndingHashKey ${endingHashKey}.`);
    }
    ranges.push({ shardId, startingHashKey, endingHashKey });
  }
  ranges.sort((a, b) => (a.endingHashKey < b.endingHashKey ? -1 : a.endingHashKey > b.endingHashKey ? 1 : 0));
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current.startingHashKey <= previous.endingHashKey) {
      throw new ShardMapError(
        `Open shards ${previous.shardId} and ${current.shardId} have overlapping hash key ranges; ` +
          'the listing mixes two generations of shards. List again with ShardFilter AT_LATEST.',
      );
    }
  }
  return ranges;
}

function parseHashKey(value: string | undefined, shardId: string, field: string): bigint {
  if (value === undefined || !/^\d{1,39}$/.test(value)) {
    throw new ShardMapError(`Shard ${shardId} has ${field} ${JSON.stringify(value)}; expected a decimal in [0, 2^128 − 1].`);
  }
  const parsed = BigInt(value);
  if (parsed > KDS_HASH_KEY_MAX) {
    throw new ShardMapError(`Shard ${shardId} has ${field} ${value}, above 2^128 − 1.`);
  }
  return parsed;
}

function writeWords(value: bigint, target: Uint32Array, offset: number): void {
  for (let i = WORDS - 1; i >= 0; i--) {
    target[offset + i] = Number(value & 0xffff_ffffn);
    value >>= 32n;
  }
}

function readWord(bytes: HashKey, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Compares the 128-bit value stored at words[offset..offset+4) with the key (k0 most significant). */
function compareWords(words: Uint32Array, offset: number, k0: number, k1: number, k2: number, k3: number): number {
  return (
    words[offset]! - k0 || words[offset + 1]! - k1 || words[offset + 2]! - k2 || words[offset + 3]! - k3
  );
}
