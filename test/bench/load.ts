/** A closed-loop load generator: `concurrency` workers each await one operation at a time until a bound is hit. */
export interface LoadBounds {
  readonly concurrency: number;
  /** Stop starting operations once this many have been started. */
  readonly maxOperations: number;
  /** Stop starting operations after this long (operations in flight finish). */
  readonly maxMs: number;
}

export interface LoadOutcome {
  readonly operations: number;
  readonly seconds: number;
}

export async function runClosedLoop(bounds: LoadBounds, operation: (index: number) => Promise<void>): Promise<LoadOutcome> {
  const started = performance.now();
  const deadline = started + bounds.maxMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bounds.maxOperations && performance.now() < deadline) {
      const index = next++;
      await operation(index);
    }
  };
  await Promise.all(Array.from({ length: bounds.concurrency }, worker));
  return { operations: next, seconds: (performance.now() - started) / 1000 };
}
