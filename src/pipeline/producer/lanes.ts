/**
 * Lanes: one per predicted shard (Kinesis with a shard map), one for records with no shard map yet
 * (sent unaggregated, as KPL does while its map is unknown), and one for a Firehose delivery stream.
 * A lane holds the entries ready to send (FIFO, retries at the front) and, if it aggregates, the one
 * open aggregate its next records go into. It remembers whether it has a request in flight (for
 * `ordering: 'per-key'`) and until when it must wait (rate limiter, per-key retry backoff).
 *
 * `LaneSet.add` is the way in for every record: route, then append to the lane's open aggregate (or
 * make a one-record entry), copying the bytes out of the caller's buffer.
 */
import type { AggregateBuilderOptions } from '../aggregation/aggregate-builder.js';
import { hashKeyFromDecimal, type HashKey } from '../aggregation/hash-key.js';
import type { ShardMap } from '../shard-map.js';
import type { BufferRecycler } from './buffer-recycler.js';
import { EntryBuilder, singleEntry, type RecordFields } from './entry-builder.js';
import { EntryQueue, type SendEntry } from './entry.js';
import { HashKeyCache } from './hash-key-cache.js';
import type { PendingRecord } from './pending.js';

/** The lane of records that cannot be routed to a shard (no shard map), and of Firehose. */
export const UNROUTED_LANE = '';

export class Lane {
  readonly entries = new EntryQueue();
  /** The open aggregate (aggregating lanes of a known shard only). */
  readonly builder: EntryBuilder | undefined;
  /** Requests holding entries of this lane. */
  inFlight = 0;
  /** Clock ms before which nothing is taken from this lane. */
  notBeforeMs = 0;

  constructor(
    readonly key: string,
    /** The shard the lane's records are predicted to land on (undefined: unrouted or Firehose). */
    readonly shardId: string | undefined,
    aggregate: AggregateBuilderOptions | undefined,
    keepKeys: boolean,
    recycler: BufferRecycler | undefined,
  ) {
    this.builder = aggregate !== undefined && shardId !== undefined ? new EntryBuilder(aggregate, keepKeys, recycler) : undefined;
  }

  /** When the oldest record waiting here entered the lane; undefined if none waits. */
  get oldestQueuedAtMs(): number | undefined {
    const head = this.entries.at(0)?.queuedAtMs;
    const open = this.builder !== undefined && this.builder.count > 0 ? this.builder.queuedAtMs : undefined;
    if (head === undefined) return open;
    return open === undefined || head <= open ? head : open;
  }

  /** True if nothing waits in this lane. */
  get empty(): boolean {
    return this.entries.length === 0 && (this.builder === undefined || this.builder.count === 0);
  }
}

export class LaneSet {
  readonly #lanes = new Map<string, Lane>();
  #records = 0;
  #bytes = 0;

  constructor(
    private readonly router: Router,
    /** KPL aggregation limits; undefined: no lane aggregates. */
    private readonly aggregate: AggregateBuilderOptions | undefined,
    /** Entries keep their partition keys (per-key ordering). */
    private readonly keepKeys = false,
    /** Buffers for aggregates, given back when they are delivered. */
    private readonly recycler?: BufferRecycler,
  ) {}

  /** User records waiting in lanes (in entries or open aggregates; not in flight). */
  get records(): number {
    return this.#records;
  }

  /** Their sizes' sum. */
  get bytes(): number {
    return this.#bytes;
  }

  all(): IterableIterator<Lane> {
    return this.#lanes.values();
  }

  get(key: string): Lane | undefined {
    return this.#lanes.get(key);
  }

  laneFor(key: string, shardId: string | undefined): Lane {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = new Lane(key, shardId, this.aggregate, this.keepKeys, this.recycler);
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  /** Routes one record and appends it to its lane, copying `source[start, end)`. */
  add(record: RecordFields, source: Uint8Array, start: number, end: number, generation: number, queuedAtMs: number, attempts = 0): void {
    const routed = this.router.route(record.partitionKey, record.explicitHashKey);
    const choice = routed.choice;
    const lane = this.laneFor(choice.key, choice.shardId);
    // The router's copy of the key: an aggregate's key table keeps it, and one string per key is all that should live on.
    record.partitionKey = routed.key;
    const builder = lane.builder;
    if (builder === undefined) {
      lane.entries.push(singleEntry(record, source, start, end, lane, generation, queuedAtMs, attempts));
    } else if (!builder.tryAdd(record, source, start, end, queuedAtMs, attempts)) {
      lane.entries.push(builder.seal(lane, generation)!);
      builder.tryAdd(record, source, start, end, queuedAtMs, attempts);
    }
    this.#records += 1;
    this.#bytes += record.size;
  }

  /**
   * Routes records again and puts them in new entries at the FRONT of their lanes (rare paths: a
   * wrong-shard aggregate, a partly expired one, a failed dead-letter write), so that with per-key
   * ordering nothing newer of their keys overtakes them. Returns the lanes they went to.
   */
  addFront(records: readonly PendingRecord[], generation: number): Lane[] {
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    const byLane = new Map<Lane, { builder: EntryBuilder | undefined; entries: SendEntry[] }>();
    for (const record of sorted) {
      const fields: RecordFields = {
        partitionKey: record.partitionKey,
        partitionKeyBytes: record.size - record.data.byteLength,
        explicitHashKey: record.explicitHashKey,
        seq: record.seq,
        acceptedAtMs: record.acceptedAtMs,
        size: record.size,
      };
      const choice = this.router.route(record.partitionKey, record.explicitHashKey).choice;
      const lane = this.laneFor(choice.key, choice.shardId);
      let group = byLane.get(lane);
      if (group === undefined) {
        // A builder of its own: the lane's open aggregate holds newer records.
        group = { builder: lane.builder !== undefined ? new EntryBuilder(this.aggregate!, this.keepKeys) : undefined, entries: [] };
        byLane.set(lane, group);
      }
      const data = record.data;
      if (group.builder === undefined) {
        group.entries.push(singleEntry(fields, data, 0, data.byteLength, lane, generation, record.queuedAtMs, record.attempts));
      } else if (!group.builder.tryAdd(fields, data, 0, data.byteLength, record.queuedAtMs, record.attempts)) {
        group.entries.push(group.builder.seal(lane, generation)!);
        group.builder.tryAdd(fields, data, 0, data.byteLength, record.queuedAtMs, record.attempts);
      }
    }
    for (const [lane, group] of byLane) {
      const last = group.builder?.seal(lane, generation);
      if (last !== undefined) group.entries.push(last);
      this.unshift(lane, group.entries);
    }
    return [...byLane.keys()];
  }

  /** Entries were taken out of lanes for a request. */
  taken(records: number, bytes: number): void {
    this.#records -= records;
    this.#bytes -= bytes;
  }

  /** Entries go back to the front of their lane (a retry, a parked request). */
  unshift(lane: Lane, entries: readonly SendEntry[]): void {
    lane.entries.unshiftSorted(entries);
    for (const entry of entries) {
      this.#records += entry.count;
      this.#bytes += entry.recordBytes;
    }
  }

  /** Empties every lane, open aggregates included (for a re-route), returning the entries; drops idle lanes. */
  drainAll(generation: number): SendEntry[] {
    const all: SendEntry[] = [];
    for (const [key, lane] of this.#lanes) {
      for (const entry of lane.entries.drain()) all.push(entry);
      const open = lane.builder?.seal(lane, generation);
      if (open !== undefined) all.push(open);
      if (lane.inFlight === 0) this.#lanes.delete(key);
    }
    this.#records = 0;
    this.#bytes = 0;
    return all;
  }
}

export interface LaneChoice {
  readonly key: string;
  readonly shardId: string | undefined;
}

const UNROUTED: LaneChoice = Object.freeze({ key: UNROUTED_LANE, shardId: undefined });

/** A routing answer: the lane, and the partition key string to keep (the router's own copy when it has one). */
export interface Routed {
  readonly key: string;
  readonly choice: LaneChoice;
}

/** Picks a record's lane: by shard for Kinesis with a ready map, else the unrouted lane. */
export interface Router {
  route(partitionKey: string, explicitHashKey: string | undefined): Routed;
}

/** Every record in one lane (Firehose, or Kinesis without ListShards). */
export class SingleLaneRouter implements Router {
  route(partitionKey: string): Routed {
    return { key: partitionKey, choice: UNROUTED };
  }
}

/**
 * Routes by the last shard map that was read successfully. A refresh builds a new map and swaps it in
 * whole, so routing never sees a half-updated map, and records keep going to their (maybe stale)
 * shard meanwhile; a stale prediction shows up as an aggregate landing on another shard, which the
 * sender re-sends (reference/kds.md §2.2, "wrong shard").
 */
export class ShardRouter implements Router {
  #map: ShardMap | undefined;
  /** Bumped by every `use`: remembered lane choices of an older map are chosen again. */
  #mapVersion = 0;
  readonly #keys = new HashKeyCache<LaneChoice>();
  /** One choice object per shard, shared by its records (a shard's choice never changes). */
  readonly #choices = new Map<string, LaneChoice>();

  get map(): ShardMap | undefined {
    return this.#map;
  }

  use(map: ShardMap): void {
    this.#map = map;
    this.#mapVersion += 1;
  }

  route(partitionKey: string, explicitHashKey: string | undefined): Routed {
    const map = this.#map;
    // Before the first map (or if ListShards is not allowed), skip the MD5: it would pick no shard.
    if (map === undefined) return { key: partitionKey, choice: UNROUTED };
    if (explicitHashKey !== undefined) return { key: partitionKey, choice: this.#choiceFor(map, hashKeyFromDecimal(explicitHashKey)) };
    const known = this.#keys.lookup(partitionKey);
    if (known.version !== this.#mapVersion || known.choice === undefined) {
      known.choice = this.#choiceFor(map, known.hashKey);
      known.version = this.#mapVersion;
    }
    return known as Routed;
  }

  #choiceFor(map: ShardMap, hashKey: HashKey): LaneChoice {
    const shardId = map.shardIdFor(hashKey);
    if (shardId === undefined) return UNROUTED;
    let choice = this.#choices.get(shardId);
    if (choice === undefined) {
      choice = Object.freeze({ key: shardId, shardId });
      this.#choices.set(shardId, choice);
    }
    return choice;
  }
}
