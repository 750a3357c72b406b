/** A PutMediaIngest on a memory FragmentStore and a manual clock, with its ACKs parsed as they are sent. */
import { ManualClock } from '../../../../helpers/manual-clock.js';
import { FragmentStore } from '../../../../../src/ingest/video/fragment-store.js';
import { PutMediaIngest, type TimecodeType } from '../../../../../src/ingest/video/put-media-ingest.js';

export interface AckLine {
  readonly EventType: string;
  readonly FragmentTimecode?: number;
  readonly FragmentNumber?: string;
  readonly ErrorId?: number;
  readonly ErrorCode?: string;
}

export const START_MS = Date.UTC(2026, 0, 2, 3, 4, 5);

export interface IngestHarness {
  readonly clock: ManualClock;
  readonly store: FragmentStore;
  readonly ingest: PutMediaIngest;
  readonly acks: AckLine[];
  /** Raw ACK lines as sent. */
  readonly lines: string[];
  retentionHours: number;
  /** Pushes every chunk (stopping when the session stops), then ends the input; waits for storage. */
  feed(chunks: readonly Buffer[], end?: boolean): Promise<boolean>;
  ofType(type: string): AckLine[];
}

export function ingestHarness(options: { timecodeType?: TimecodeType; producerStartMs?: number; retentionHours?: number } = {}): IngestHarness {
  const clock = new ManualClock(START_MS);
  const store = FragmentStore.open({ dir: undefined, streamCreationMs: START_MS - 60_000, memoryLimitBytes: 1024 * 1024 * 1024 });
  const acks: AckLine[] = [];
  const lines: string[] = [];
  const h: IngestHarness = {
    clock,
    store,
    acks,
    lines,
    retentionHours: options.retentionHours ?? 24,
    ingest: undefined as unknown as PutMediaIngest,
    async feed(chunks, end = true) {
      let open = true;
      for (const c of chunks) {
        open = h.ingest.push(c);
        if (!open) break;
      }
      if (open && end) h.ingest.finish();
      await h.ingest.settled();
      return open;
    },
    ofType: (type) => acks.filter((a) => a.EventType === type),
  };
  (h as { ingest: PutMediaIngest }).ingest = new PutMediaIngest({
    store,
    timecodeType: options.timecodeType ?? 'ABSOLUTE',
    producerStartMs: options.producerStartMs ?? START_MS,
    clock,
    retentionHours: () => h.retentionHours,
    send: (ack) => {
      const line = ack.toString('utf8');
      lines.push(line);
      acks.push(JSON.parse(line) as AckLine);
    },
    onStoreError: () => {},
  });
  return h;
}
