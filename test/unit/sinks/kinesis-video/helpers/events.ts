/** Collects sink events and lets a test wait for one (no timeouts: the test runner's limit applies). */
import type { KvsDeliveryEvent } from '../../../../../src/sinks/kinesis-video/events.js';

type Of<T extends KvsDeliveryEvent['type']> = Extract<KvsDeliveryEvent, { type: T }>;

export class EventLog {
  readonly events: KvsDeliveryEvent[] = [];
  private waiters: Array<() => void> = [];

  readonly listener = (event: KvsDeliveryEvent): void => {
    this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  };

  of<T extends KvsDeliveryEvent['type']>(type: T): Of<T>[] {
    return this.events.filter((e): e is Of<T> => e.type === type);
  }

  /** Resolves with the n-th (1-based) event of `type` matching `predicate`, waiting for it if need be. */
  async next<T extends KvsDeliveryEvent['type']>(type: T, predicate: (e: Of<T>) => boolean = () => true, nth = 1): Promise<Of<T>> {
    for (;;) {
      const matches = this.of(type).filter(predicate);
      if (matches.length >= nth) return matches[nth - 1]!;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves once `predicate` holds over the log. */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
