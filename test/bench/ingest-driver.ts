/**
 * What the ingest bench asks of a load generator, whichever it is (the AWS SDK client in this process, or the
 * lean raw-HTTP client in a child process): PutRecords and GetRecords in bounded slices against one target.
 */

/** The shape of the load; the same for every target and both generators. */
export interface LoadShape {
  readonly stream: string;
  /** Requests in flight at once (closed loop). */
  readonly concurrency: number;
  readonly recordsPerRequest: number;
  readonly recordBytes: number;
  /** Distinct PutRecords bodies cycled through. */
  readonly poolSize: number;
  /** GetRecords `Limit`. */
  readonly getLimit: number;
}

export interface SliceBounds {
  /** No request starts after this. */
  readonly maxMs: number;
  /** Requests in flight at `maxMs` may finish within this (their time counts); then they are aborted. */
  readonly graceMs: number;
}

/** What one slice did; plain data, so it can cross a process boundary. */
export interface SliceReport {
  /** Records acknowledged (PutRecords) or returned (GetRecords). */
  readonly records: number;
  /** Record data bytes among them. */
  readonly bytes: number;
  /** Failed entries (PutRecords) or failed calls (GetRecords). */
  readonly failures: number;
  /** Requests aborted at the hard bound: neither acknowledged nor failed. */
  readonly abandoned: number;
  /** Requests started that finished. */
  readonly completed: number;
  readonly seconds: number;
  readonly firstError?: string;
}

export interface LoadDriver {
  /** At most `maxRequests` PutRecords requests of `recordsPerRequest` records. */
  put(maxRequests: number, bounds: SliceBounds): Promise<SliceReport>;
  /** One reader per shard, each continuing where the previous slice left it, until the data ends. */
  get(bounds: SliceBounds): Promise<SliceReport>;
  /** CPU seconds the load generator has used so far; undefined where it cannot be read. */
  clientCpuSeconds(): number | undefined;
  close(): Promise<void>;
}

export const describeError = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err));
