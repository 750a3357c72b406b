/**
 * Records waiting out a retry backoff (throughput mode: they do not hold up their lane). Few entries
 * (one per failed request and error class), kept sorted by due time; the sender's single timer wakes
 * for the earliest.
 */
import type { PendingRecord } from './pending.js';

interface Waiting {
  readonly dueAtMs: number;
  readonly records: readonly PendingRecord[];
}

export class RetryQueue {
  #items: Waiting[] = [];
  #records = 0;

  get records(): number {
    return this.#records;
  }

  get nextDueAtMs(): number {
    return this.#items[0]?.dueAtMs ?? Number.POSITIVE_INFINITY;
  }

  add(records: readonly PendingRecord[], dueAtMs: number): void {
    if (records.length === 0) return;
    let index = this.#items.length;
    while (index > 0 && this.#items[index - 1]!.dueAtMs > dueAtMs) index -= 1;
    this.#items.splice(index, 0, { dueAtMs, records });
    this.#records += records.length;
  }

  /** Removes and returns every record due at `nowMs`. */
  releaseDue(nowMs: number): PendingRecord[] {
    const due: PendingRecord[] = [];
    while (this.#items.length > 0 && this.#items[0]!.dueAtMs <= nowMs) {
      const item = this.#items.shift()!;
      for (const record of item.records) due.push(record);
    }
    this.#records -= due.length;
    return due;
  }
}
