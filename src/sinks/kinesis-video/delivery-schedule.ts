/**
 * Which fragments each PutMedia session sends: the backlog order.
 *
 * 'oldest-first' (default): every session starts at the oldest fragment not yet confirmed and goes on with
 * live fragments as they are recorded. Simple, and what KVS consumers that read in ingestion order expect.
 *
 * 'live-first': after an outage the newest fragment goes first, so a viewer sees the present at once, and the
 * history recorded during the outage is back-filled behind it. KVS rules shape how:
 *  - one PutMedia connection per stream: a second concurrent one is throttled with
 *    ConnectionLimitExceededException ([QUOTA], kvs.md §1.4). Live and back-fill therefore cannot run on two
 *    connections at once; they take turns on the one connection slot.
 *  - fragment timecodes must increase *within one PutMedia call* (4004, "within a PutMedia call, you cannot
 *    send fragments out of order"), but a later call may carry older timecodes (offline upload of past media
 *    is a documented use). So history goes in its own sessions, in order.
 * A live session runs for at least `liveSliceMs`; then, if there is history, it ends at a fragment boundary
 * and a back-fill session sends the oldest history for up to `backfillSliceMs`, then live resumes (from the
 * first live fragment not yet confirmed, so nothing recorded meanwhile is lost, only delayed by one slice).
 */
import type { Clock, Sleep } from '../../core/clock.js';
import type { FragmentStore, StoredFragment } from './fragment-store.js';

export type BacklogOrder = 'oldest-first' | 'live-first';
export type SessionKind = 'oldest-first' | 'live' | 'backfill';

export interface SessionCursor {
  readonly kind: SessionKind;
  /**
   * The next fragment for this session, waiting for one to be recorded if need be; `undefined` when the
   * session should end (gracefully) so the next one can start.
   */
  next(signal: AbortSignal): Promise<StoredFragment | undefined>;
}

export interface DeliverySchedule {
  /** A cursor for the next PutMedia session. */
  startSession(): SessionCursor;
  /** A session failed (connection lost, refused, stale): the link was down. */
  noteOutage(): void;
}

export interface LiveFirstOptions {
  /** Shortest live session before history gets a turn (default 60 s). */
  readonly liveSliceMs?: number;
  /** Longest back-fill session before live gets the slot back (default 20 s). */
  readonly backfillSliceMs?: number;
}

export function createDeliverySchedule(
  order: BacklogOrder,
  store: FragmentStore,
  deps: { readonly clock: Clock; readonly sleep: Sleep },
  options: LiveFirstOptions = {},
): DeliverySchedule {
  return order === 'live-first' ? new LiveFirstSchedule(store, deps, options) : new OldestFirstSchedule(store);
}

/** Waits for the next fragment after `after`, optionally giving up at `deadlineMs` (returns undefined). */
async function nextOrWait(
  store: FragmentStore,
  after: number,
  signal: AbortSignal,
  deadline?: { readonly atMs: number; readonly clock: Clock; readonly sleep: Sleep },
): Promise<StoredFragment | undefined> {
  for (;;) {
    const f = store.nextAfter(after);
    if (f !== undefined) return f;
    // Everything up to lastSeq is gone (freed or evicted): wait for something newer, or this would spin.
    const horizon = Math.max(after, store.lastSeq);
    if (deadline === undefined) {
      await store.waitForAppend(horizon, signal);
      continue;
    }
    const remaining = deadline.atMs - deadline.clock.now();
    if (remaining <= 0) return undefined;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Both sides settle quietly: the loser is aborted below and must not become an unhandled rejection.
      const appended = store.waitForAppend(horizon, stop.signal).then(
        () => undefined,
        () => undefined,
      );
      const timedOut = deadline.sleep(remaining, stop.signal).then(
        () => undefined,
        () => undefined,
      );
      await Promise.race([appended, timedOut]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
    }
    if (signal.aborted) throw signal.reason;
  }
}

class OldestFirstSchedule implements DeliverySchedule {
  constructor(private readonly store: FragmentStore) {}

  startSession(): SessionCursor {
    let after = -1;
    const store = this.store;
    return {
      kind: 'oldest-first',
      async next(signal) {
        const f = await nextOrWait(store, after, signal);
        if (f !== undefined) after = f.seq;
        return f;
      },
    };
  }

  noteOutage(): void {}
}

class LiveFirstSchedule implements DeliverySchedule {
  /** Fragments with seq >= liveFloor are live; older ones still in the store are history. */
  private liveFloor = 0;
  private lastKind: SessionKind | undefined;
  /**
   * The link was down since the last session started. The live edge is then fixed when the next session
   * starts, not when the failure happened, so that what was recorded during the outage counts as history.
   */
  private recovering = true;
  private readonly liveSliceMs: number;
  private readonly backfillSliceMs: number;

  constructor(
    private readonly store: FragmentStore,
    private readonly deps: { readonly clock: Clock; readonly sleep: Sleep },
    options: LiveFirstOptions,
  ) {
    this.liveSliceMs = Math.max(1, options.liveSliceMs ?? 60_000);
    this.backfillSliceMs = Math.max(1, options.backfillSliceMs ?? 20_000);
    // What a previous run left behind is history too (recovering starts true).
  }

  private hasHistory(): boolean {
    const oldest = this.store.oldest();
    return oldest !== undefined && oldest.seq < this.liveFloor;
  }

  noteOutage(): void {
    this.recovering = true;
  }

  startSession(): SessionCursor {
    let kind: SessionKind;
    if (this.recovering) {
      this.recovering = false;
      const newest = this.store.newest();
      if (newest !== undefined) this.liveFloor = Math.max(this.liveFloor, newest.seq);
      kind = 'live';
    } else {
      kind = this.lastKind === 'live' && this.hasHistory() ? 'backfill' : 'live';
    }
    this.lastKind = kind;
    const startedAt = this.deps.clock.now();
    return kind === 'live' ? this.liveCursor(startedAt) : this.backfillCursor(startedAt);
  }

  private liveCursor(startedAt: number): SessionCursor {
    let after = this.liveFloor - 1;
    return {
      kind: 'live',
      next: async (signal) => {
        after = Math.max(after, this.liveFloor - 1);
        const sliceEnd = startedAt + this.liveSliceMs;
        if (this.hasHistory()) {
          // Without a deadline a quiet camera would hold the slot and history would never get a turn.
          if (this.deps.clock.now() >= sliceEnd) return undefined;
          const f = await nextOrWait(this.store, after, signal, { atMs: sliceEnd, ...this.deps });
          if (f !== undefined) after = f.seq;
          return f;
        }
        const f = await nextOrWait(this.store, after, signal);
        after = f!.seq;
        return f;
      },
    };
  }

  private backfillCursor(startedAt: number): SessionCursor {
    let after = -1;
    return {
      kind: 'backfill',
      next: async () => {
        if (this.deps.clock.now() >= startedAt + this.backfillSliceMs) return undefined;
        const f = this.store.nextAfter(after);
        if (f === undefined || f.seq >= this.liveFloor) return undefined;
        after = f.seq;
        return f;
      },
    };
  }
}
