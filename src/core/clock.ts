/** Time and randomness are injected so tests can be deterministic (DESIGN.md §5, smithy retry). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

export const mathRng: Rng = { next: () => Math.random() };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
