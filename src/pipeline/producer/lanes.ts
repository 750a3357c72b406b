/**
 * Lanes: one FIFO of pending records per predicted shard (Kinesis with a shard map), one lane for
 * records with no shard map yet (sent unaggregated, as KPL does while its map is unknown), and one
 * lane for a Firehose delivery stream. A lane remembers whether it has a request in flight (for
 * `ordering: 'per-key'`) and until when it must wait (rate limiter, per-key retry backoff).
 */
import { hashKeyFromDecimal } from '../aggregation/hash-key.js';
import type { ShardMap } from '../shard-map.js';
import { HashKeyCache } from './hash-key-cache.js';
import { RecordQueue, type PendingRecord } from './pending.js';

/** The lane of records that cannot be routed to a shard (no shard map), and of Firehose. */
export const UNROUTED_LANE = '';

export class Lane {
  readonly queue = new RecordQueue();
  /** Requests holding records of this lane. */
  inFlight = 0;
  /** Clock ms before which nothing is taken from this lane. */
  notBeforeMs = 0;

  constructor(
    readonly key: string,
    /** The shard the lane's records are predicted to land on (undefined: unrouted or Firehose). */
    readonly shardId: string | undefined,
  ) {}

  /** When the oldest record entered the lane; undefined if empty. */
  get oldestQueuedAtMs(): number | undefined {
    return this.queue.at(0)?.queuedAtMs;
  }
}

export class LaneSet {
  readonly #lanes = new Map<string, Lane>();
  #records = 0;
  #bytes = 0;

  /** Records queued in all lanes (not in flight). */
  get records(): number {
    return this.#records;
  }

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
      lane = new Lane(key, shardId);
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  push(lane: Lane, record: PendingRecord): void {
    lane.queue.push(record);
    this.#records += 1;
    this.#bytes += record.size;
  }

  /** Records were taken out of lanes for a request. */
  taken(records: number, bytes: number): void {
    this.#records -= records;
    this.#bytes -= bytes;
  }

  unshift(lane: Lane, records: readonly PendingRecord[]): void {
    lane.queue.unshiftSorted(records);
    this.#records += records.length;
    for (const record of records) this.#bytes += record.size;
  }

  /** Empties every lane (for a re-route), returning the records in seq order; drops idle lanes. */
  drainAll(): PendingRecord[] {
    const all: PendingRecord[] = [];
    for (const [key, lane] of this.#lanes) {
      for (const record of lane.queue.drain()) all.push(record);
      if (lane.inFlight === 0) this.#lanes.delete(key);
    }
    this.#records = 0;
    this.#bytes = 0;
    return all.sort((a, b) => a.seq - b.seq);
  }
}

export interface LaneChoice {
  readonly key: string;
  readonly shardId: string | undefined;
}

const UNROUTED: LaneChoice = Object.freeze({ key: UNROUTED_LANE, shardId: undefined });

/** Picks a record's lane: by shard for Kinesis with a ready map, else the unrouted lane. */
export interface Router {
  route(record: PendingRecord): LaneChoice;
}

export const singleLaneRouter: Router = {
  route: () => UNROUTED,
};

/**
 * Routes by the last shard map that was read successfully. A refresh builds a new map and swaps it in
 * whole, so routing never sees a half-updated map, and records keep going to their (maybe stale)
 * shard meanwhile; a stale prediction shows up as an aggregate landing on another shard, which the
 * sender re-sends (reference/kds.md §2.2, "wrong shard").
 */
export class ShardRouter implements Router {
  #map: ShardMap | undefined;
  readonly #hashKeys = new HashKeyCache();
  /** One choice object per shard, shared by its records (a shard's choice never changes). */
  readonly #choices = new Map<string, LaneChoice>();

  get map(): ShardMap | undefined {
    return this.#map;
  }

  use(map: ShardMap): void {
    this.#map = map;
  }

  route(record: PendingRecord): LaneChoice {
    const map = this.#map;
    // Before the first map (or if ListShards is not allowed), skip the MD5: it would pick no shard.
    if (map === undefined) return UNROUTED;
    const hashKey = record.explicitHashKey === undefined ? this.#hashKeys.hashKeyOf(record.partitionKey) : hashKeyFromDecimal(record.explicitHashKey);
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
