/**
 * Keeps the router's shard map fresh (reference/kds.md §2.2): one ListShards at start, and again when
 * a PutRecords result shows a record landing on a shard other than the predicted one. A failed
 * refresh is retried with KPL's backoff (1 s, ×1.5, capped at 30 s); meanwhile the old map stays in
 * use (or, before the first map, records go unaggregated).
 */
import type { Clock } from '../../core/clock.js';
import { ShardMap, type ShardDescription } from '../shard-map.js';
import type { ShardRouter } from './lanes.js';

export const SHARD_MAP_BACKOFF = Object.freeze({ initialMs: 1_000, factor: 1.5, capMs: 30_000 });

export class ShardMapRefresher {
  #wanted = true;
  #running: Promise<boolean> | undefined;
  #failures = 0;
  #nextAttemptAtMs = 0;
  #generation = 0;
  #lastError: unknown;

  constructor(
    private readonly listShards: (signal?: AbortSignal) => Promise<readonly ShardDescription[]>,
    private readonly router: ShardRouter,
    private readonly clock: Clock,
  ) {}

  /** Increases each time a new map is put in use. */
  get generation(): number {
    return this.#generation;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  /** Clock ms when a wanted refresh may run; +Infinity if none is wanted or one is running. */
  get dueAtMs(): number {
    return this.#wanted && this.#running === undefined ? this.#nextAttemptAtMs : Number.POSITIVE_INFINITY;
  }

  /** The map is known to be stale: list again as soon as the backoff allows. */
  invalidate(): void {
    this.#wanted = true;
  }

  /** Runs a refresh if one is wanted and due; resolves true if a new map is now in use. */
  refreshIfDue(signal?: AbortSignal): Promise<boolean> | undefined {
    if (this.dueAtMs > this.clock.now()) return undefined;
    this.#wanted = false;
    this.#running = this.#refresh(signal).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #refresh(signal?: AbortSignal): Promise<boolean> {
    try {
      const shards = await this.listShards(signal);
      const map = new ShardMap();
      map.update(shards);
      if (map.shards.length === 0) throw new Error('ListShards returned no open shard.');
      this.router.use(map);
      this.#generation += 1;
      this.#failures = 0;
      this.#lastError = undefined;
      return true;
    } catch (error) {
      this.#lastError = error;
      this.#wanted = true;
      this.#nextAttemptAtMs =
        this.clock.now() + Math.min(SHARD_MAP_BACKOFF.capMs, SHARD_MAP_BACKOFF.initialMs * SHARD_MAP_BACKOFF.factor ** this.#failures);
      this.#failures += 1;
      return false;
    }
  }
}
