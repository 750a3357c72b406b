/**
 * What waits out a retry backoff (throughput mode: it does not hold up its lane). Few items (one per
 * failed request and error class), kept sorted by due time; the sender's single timer wakes for the
 * earliest. An item is entries to send again as they are, or (rare paths) records to route again.
 */
import type { SendEntry } from './entry.js';
import type { PendingRecord } from './pending.js';

export interface RetryItem {
  readonly dueAtMs: number;
  /** Entries to send again; with `reroute`, their records are routed again first. */
  readonly entries: readonly SendEntry[];
  readonly reroute: boolean;
  /** Records to route into new entries (a failed dead-letter write, a partly expired entry). */
  readonly records: readonly PendingRecord[];
}

export class RetryQueue {
  #items: RetryItem[] = [];
  #records = 0;

  /** User records waiting. */
  get records(): number {
    return this.#records;
  }

  get nextDueAtMs(): number {
    return this.#items[0]?.dueAtMs ?? Number.POSITIVE_INFINITY;
  }

  add(item: RetryItem): void {
    const count = item.records.length + item.entries.reduce((sum, entry) => sum + entry.count, 0);
    if (count === 0) return;
    let index = this.#items.length;
    while (index > 0 && this.#items[index - 1]!.dueAtMs > item.dueAtMs) index -= 1;
    this.#items.splice(index, 0, item);
    this.#records += count;
  }

  /** Removes and returns every item due at `nowMs`. */
  releaseDue(nowMs: number): RetryItem[] {
    const due: RetryItem[] = [];
    while (this.#items.length > 0 && this.#items[0]!.dueAtMs <= nowMs) {
      const item = this.#items.shift()!;
      this.#records -= item.records.length + item.entries.reduce((sum, entry) => sum + entry.count, 0);
      due.push(item);
    }
    return due;
  }
}
