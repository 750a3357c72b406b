/**
 * A closed-loop load generator: `concurrency` workers each await one operation at a time until a bound is hit.
 * At the time bound, operations still in flight are aborted and not counted, so a server that takes seconds per
 * request cannot stretch its measurement window (and the bench's run time) past the bound.
 */
export interface LoadBounds {
  readonly concurrency: number;
  /** Stop starting operations once this many have been started. */
  readonly maxOperations: number;
  /** Abort what is still in flight after this long. */
  readonly maxMs: number;
}

export interface LoadOutcome {
  /** Operations that finished (successfully or not) before the time bound. */
  readonly completed: number;
  /** Operations aborted at the time bound. */
  readonly abandoned: number;
  readonly seconds: number;
}

/** `operation` must pass `signal` on to its request and reject once it fires. */
export async function runClosedLoop(bounds: LoadBounds, operation: (index: number, signal: AbortSignal) => Promise<void>): Promise<LoadOutcome> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), bounds.maxMs);
  let next = 0;
  let completed = 0;
  let abandoned = 0;
  const worker = async (): Promise<void> => {
    while (next < bounds.maxOperations && !deadline.signal.aborted) {
      const index = next++;
      try {
        await operation(index, deadline.signal);
        completed++;
      } catch (err) {
        if (!deadline.signal.aborted) throw err;
        abandoned++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: bounds.concurrency }, worker));
  } finally {
    clearTimeout(timer);
  }
  return { completed, abandoned, seconds: Math.min(performance.now() - started, bounds.maxMs) / 1000 };
}
