/** Mutable counters behind `stats()`, one object per spool instance. */
import type { SpoolDropEvent } from './types.js';

export class SpoolCounters {
  droppedFull = 0;
  droppedCorrupt = 0;
  tornBytesTruncated = 0;
  ledgerResets = 0;
  fdatasyncs = 0;

  constructor(
    private readonly onDrop: ((event: SpoolDropEvent) => void) | undefined,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {}

  /** Counts and reports a loss; a throwing callback must not break the spool. */
  drop(event: SpoolDropEvent): void {
    if (event.reason === 'spool-full') this.droppedFull += event.entries;
    else if (event.reason === 'corrupt') this.droppedCorrupt += event.entries;
    else this.tornBytesTruncated += event.bytes;
    if (!this.onDrop) return;
    try {
      this.onDrop(event);
    } catch (error) {
      this.error(error as Error);
    }
  }

  error(error: Error): void {
    if (!this.onError) return;
    try {
      this.onError(error);
    } catch {
      // The error callback itself failed; there is nowhere left to report it.
    }
  }
}
