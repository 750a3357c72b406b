/**
 * Opening a spool directory (SPEC.md §8): ledger, segment names and sizes, and one scan of the active
 * segment for its torn tail and the next seq. Nothing else is read: corruption further back is found
 * by the reader when it gets there.
 */
import { scanSegment } from './entry-codec.js';
import type { SpoolIo } from './io.js';
import { readLedger } from './ledger.js';
import { parseSegmentName, SegmentTable, newSegment, type Segment } from './segments.js';

export interface Recovered {
  readonly table: SegmentTable;
  readonly ackedThrough: number;
  /** Mark as found in the ledger, before any fallback; undefined if there was no usable ledger. */
  readonly ledgerMark: number | undefined;
  readonly nextSeq: number;
  readonly ledgerReset: boolean;
  readonly tornBytes: number;
  readonly tornSegment: string | undefined;
}

export async function recoverSpool(io: SpoolIo, dir: string, maxSegmentBytes: number): Promise<Recovered> {
  const ledger = readLedger(io, dir);
  const firstSeqs = io
    .readdir(dir)
    .map(parseSegmentName)
    .filter((seq): seq is number => seq !== undefined)
    .sort((a, b) => a - b);
  const table = new SegmentTable();
  firstSeqs.forEach((firstSeq, i) => {
    const segment = newSegment(dir, firstSeq);
    const bytes = io.size(segment.path) ?? 0;
    const nextFirst = firstSeqs[i + 1];
    segment.bytes = bytes;
    segment.visibleBytes = bytes;
    if (nextFirst !== undefined) {
      // Sealed: consecutive seqs up to the next segment's name (the reader counts any shortfall as lost).
      segment.sealed = true;
      segment.lastSeq = nextFirst - 1;
      segment.visibleLastSeq = nextFirst - 1;
    }
    table.push(segment);
  });

  const ledgerMark = ledger.state === 'ok' ? ledger.ackedThrough : undefined;
  const first = table.list[0];
  // Without a usable ledger, everything on disk is unacknowledged: re-send rather than skip.
  let ackedThrough = ledgerMark ?? (first ? first.firstSeq - 1 : 0);
  if (first) ackedThrough = Math.max(ackedThrough, first.firstSeq - 1);

  let nextSeq = ackedThrough + 1;
  let tornBytes = 0;
  let tornSegment: string | undefined;
  const active = table.last;
  if (active) {
    const data = io.readFile(active.path) ?? Buffer.alloc(0);
    const scan = scanSegment(data, active.firstSeq);
    if (scan.validEnd < data.length) {
      tornBytes = data.length - scan.validEnd;
      tornSegment = active.name;
      const fd = io.open(active.path, 'r+');
      try {
        io.truncate(fd, scan.validEnd);
        await io.fdatasync(fd);
      } finally {
        io.close(fd);
      }
      table.resize(active, scan.validEnd);
      active.visibleBytes = scan.validEnd;
    }
    active.lastSeq = scan.lastSeq;
    active.visibleLastSeq = scan.lastSeq;
    nextSeq = Math.max(nextSeq, scan.lastSeq + 1);
    // Continue in it only if its next seq is the spool's next seq and it has room (SPEC.md §8.3).
    if (scan.lastSeq + 1 !== nextSeq || active.bytes >= maxSegmentBytes) active.sealed = true;
  }

  // Leftovers of a crash between a ledger write and the deletes it allowed, and an unusable empty active segment.
  const doomed: Segment[] = table.list.filter((s) => s.sealed && (s.lastSeq <= ackedThrough || s.bytes === 0));
  for (const segment of doomed) {
    table.remove(segment);
    await io.unlink(segment.path);
  }

  return { table, ackedThrough, ledgerMark, nextSeq, ledgerReset: ledger.state === 'invalid', tornBytes, tornSegment };
}
