/**
 * A closed-loop load generator: `concurrency` workers each await one operation at a time. No new operation starts
 * after `maxMs`; operations still in flight then get `graceMs` to finish (their time counts) and are aborted
 * after that (not counted), so a server that takes seconds per request cannot stretch a run without bound.
 */
export interface LoadBounds {
  readonly concurrency: number;
  /** Stop starting operations once this many have been started. */
  readonly maxOperations: number;
  /** Stop starting operations after this long. */
  readonly maxMs: number;
  /** How long operations in flight at `maxMs` may still finish before they are aborted. Default 0. */
  readonly graceMs?: number;
}

export interface LoadOutcome {
  /** Operations that finished (successfully or not). */
  readonly completed: number;
  /** Operations aborted at the hard bound. */
  readonly abandoned: number;
  readonly seconds: number;
}

/** `operation` must pass `signal` on to its request and reject once it fires. */
export async function runClosedLoop(bounds: LoadBounds, operation: (index: number, signal: AbortSignal) => Promise<void>): Promise<LoadOutcome> {
  const started = performance.now();
  const stopStarting = started + bounds.maxMs;
  const hardStop = new AbortController();
  const timer = setTimeout(() => hardStop.abort(), bounds.maxMs + (bounds.graceMs ?? 0));
  let next = 0;
  let completed = 0;
  let abandoned = 0;
  const worker = async (): Promise<void> => {
    while (next < bounds.maxOperations && performance.now() < stopStarting && !hardStop.signal.aborted) {
      const index = next++;
      try {
        await operation(index, hardStop.signal);
        completed++;
      } catch (err) {
        if (!hardStop.signal.aborted) throw err;
        abandoned++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: bounds.concurrency }, worker));
  } finally {
    clearTimeout(timer);
  }
  return { completed, abandoned, seconds: (performance.now() - started) / 1000 };
}
