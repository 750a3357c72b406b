/**
 * A record the sender has read from the spool and not yet settled (acknowledged as delivered, or
 * dead-lettered), and the FIFO queue that holds such records per lane. One small object per record:
 * the hash key is not kept (it is recomputed on the rare re-route), the data stays a view into the
 * spool's read buffer until a retry copies it out.
 */
export interface PendingRecord {
  readonly seq: number;
  data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Bytes the service counts: data plus UTF-8 partition key (Kinesis), or data (Firehose). */
  readonly size: number;
  readonly acceptedAtMs: number;
  /** Send attempts so far. */
  attempts: number;
  /** When the record entered its lane (clock ms), for the linger time. */
  queuedAtMs: number;
}

/**
 * A FIFO of records with cheap removal at the head (an index, compacted now and then) and a
 * front insertion for retries. No per-operation allocation on the hot path.
 */
export class RecordQueue {
  #items: PendingRecord[] = [];
  #head = 0;
  #bytes = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Sum of `size` over the records held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The i-th record from the head (0 = oldest). */
  at(index: number): PendingRecord | undefined {
    return this.#items[this.#head + index];
  }

  push(record: PendingRecord): void {
    this.#items.push(record);
    this.#bytes += record.size;
  }

  /** Removes and returns the first `count` records. */
  take(count: number): PendingRecord[] {
    const end = this.#head + count;
    const taken = this.#items.slice(this.#head, end);
    for (const record of taken) this.#bytes -= record.size;
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Puts records back before the others, keeping seq order (retries go out before newer records). */
  unshiftSorted(records: readonly PendingRecord[]): void {
    if (records.length === 0) return;
    const rest = this.#items.slice(this.#head);
    const merged = mergeBySeq(records, rest);
    this.#items = merged;
    this.#head = 0;
    for (const record of records) this.#bytes += record.size;
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): PendingRecord[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return all;
  }
}

/** Merges two lists; `a` need not be sorted, `b` is in seq order already. */
function mergeBySeq(a: readonly PendingRecord[], b: readonly PendingRecord[]): PendingRecord[] {
  const sortedA = [...a].sort((x, y) => x.seq - y.seq);
  // The common case: every retried record is older than everything queued.
  if (b.length === 0 || sortedA[sortedA.length - 1]!.seq < b[0]!.seq) return sortedA.concat(b);
  const out: PendingRecord[] = [];
  let i = 0;
  let j = 0;
  while (i < sortedA.length && j < b.length) out.push(sortedA[i]!.seq <= b[j]!.seq ? sortedA[i++]! : b[j++]!);
  while (i < sortedA.length) out.push(sortedA[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
