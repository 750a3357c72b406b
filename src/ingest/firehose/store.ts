/**
 * Persistence of the Firehose service: a memory variant (nothing survives) and a journal variant (configs,
 * every accepted but undelivered record, delivery marks and Kinesis read positions survive SIGKILL).
 * A record is journaled before the put that carried it returns; once a batch is delivered a DELIVERED mark is
 * appended, and when most of the journal is delivered data it is rewritten with only the live state.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Journal, type JournalEntry } from '../store/journal.js';
import {
  decodeDelivered,
  decodeRecords,
  deliveredEntry,
  deletedEntry,
  ENTRY_CHECKPOINT,
  ENTRY_DELETED,
  ENTRY_DELIVERED,
  ENTRY_RECORDS,
  ENTRY_STREAM,
  recordsEntry,
  streamEntry,
  checkpointEntry,
  type ShardCheckpoint,
  type StoredStream,
} from './journal-codec.js';
import type { FirehoseRecord } from './records.js';

export interface RecoveredStream {
  readonly stored: StoredStream;
  /** Undelivered records in seq order. */
  readonly records: FirehoseRecord[];
  /** The next seq to hand out. */
  readonly nextSeq: number;
  readonly checkpoints: Map<string, ShardCheckpoint>;
}

/** The live state a compaction writes back. */
export interface LiveStream {
  readonly stored: StoredStream;
  readonly deliveredUpTo: number;
  readonly undelivered: readonly FirehoseRecord[];
  readonly checkpoints: readonly ShardCheckpoint[];
}

export interface FirehoseStore {
  readonly recovered: readonly RecoveredStream[];
  saveStream(stored: StoredStream): void;
  deleteStream(name: string): void;
  /** Journals accepted records (and, for a Kinesis source, the read position they reach) in one write. */
  appendRecords(name: string, records: readonly FirehoseRecord[], checkpoint?: ShardCheckpoint): void;
  saveCheckpoint(checkpoint: ShardCheckpoint): void;
  markDelivered(name: string, upToSeq: number): void;
  close(): void;
}

export const memoryStore = (): FirehoseStore => ({
  recovered: [],
  saveStream: () => {},
  deleteStream: () => {},
  appendRecords: () => {},
  saveCheckpoint: () => {},
  markDelivered: () => {},
  close: () => {},
});

/** Compact once the journal is this big and at most a quarter of it is still undelivered. */
const COMPACT_MIN_BYTES = 8 * 1024 * 1024;
const COMPACT_LIVE_FRACTION = 0.25;

export function openJournalStore(dataDir: string, live: () => LiveStream[], logger: Logger): FirehoseStore {
  const path = join(dataDir, 'firehose', 'journal.log');
  const { journal, entries, discardedBytes } = Journal.open(path);
  if (discardedBytes > 0) logger.warn({ path, discardedBytes }, 'firehose journal had a torn or corrupt tail; cut it off');
  const recovered = replay(entries);
  logger.info({ path, streams: recovered.length, undelivered: recovered.reduce((n, s) => n + s.records.length, 0) }, 'firehose journal replayed');

  const compactIfMostlyDelivered = (): void => {
    if (journal.bytes < COMPACT_MIN_BYTES) return;
    const state = live();
    let liveBytes = 0;
    for (const s of state) for (const r of s.undelivered) liveBytes += r.data.length;
    if (liveBytes > journal.bytes * COMPACT_LIVE_FRACTION) return;
    const before = journal.bytes;
    journal.rewrite(snapshot(state));
    logger.debug({ before, after: journal.bytes }, 'firehose journal compacted');
  };

  return {
    recovered,
    saveStream: (stored) => journal.append(ENTRY_STREAM, streamEntry(stored).payload),
    deleteStream: (name) => journal.append(ENTRY_DELETED, deletedEntry(name).payload),
    appendRecords: (name, records, checkpoint) => {
      // Records first, checkpoint after, in one write: a torn write can lose the checkpoint but never keep a
      // checkpoint whose records are lost (so a crash re-reads, it never skips).
      const batch = [recordsEntry(name, records)];
      if (checkpoint) batch.push(checkpointEntry(checkpoint));
      journal.appendMany(batch);
    },
    saveCheckpoint: (checkpoint) => journal.append(ENTRY_CHECKPOINT, checkpointEntry(checkpoint).payload),
    markDelivered: (name, upToSeq) => {
      journal.append(ENTRY_DELIVERED, deliveredEntry(name, upToSeq).payload);
      compactIfMostlyDelivered();
    },
    close: () => journal.close(),
  };
}

function snapshot(state: readonly LiveStream[]): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const s of state) {
    out.push(streamEntry(s.stored), deliveredEntry(s.stored.name, s.deliveredUpTo));
    for (const c of s.checkpoints) out.push(checkpointEntry(c));
    for (let i = 0; i < s.undelivered.length; i += 500) out.push(recordsEntry(s.stored.name, s.undelivered.slice(i, i + 500)));
  }
  return out;
}

interface ReplayState {
  stored: StoredStream;
  records: FirehoseRecord[];
  deliveredUpTo: number;
  maxSeq: number;
  checkpoints: Map<string, ShardCheckpoint>;
}

function replay(entries: readonly JournalEntry[]): RecoveredStream[] {
  const streams = new Map<string, ReplayState>();
  for (const e of entries) {
    switch (e.type) {
      case ENTRY_STREAM: {
        const stored = JSON.parse(e.payload.toString('utf8')) as StoredStream;
        const existing = streams.get(stored.name);
        if (existing) existing.stored = stored;
        else streams.set(stored.name, { stored, records: [], deliveredUpTo: -1, maxSeq: -1, checkpoints: new Map() });
        break;
      }
      case ENTRY_DELETED:
        streams.delete(e.payload.toString('utf8'));
        break;
      case ENTRY_RECORDS: {
        const { name, records } = decodeRecords(e.payload);
        const s = streams.get(name);
        if (!s) break;
        for (const r of records) {
          s.records.push(r);
          if (r.seq > s.maxSeq) s.maxSeq = r.seq;
        }
        break;
      }
      case ENTRY_DELIVERED: {
        const { name, upToSeq } = decodeDelivered(e.payload);
        const s = streams.get(name);
        if (!s) break;
        s.deliveredUpTo = Math.max(s.deliveredUpTo, upToSeq);
        if (upToSeq > s.maxSeq) s.maxSeq = upToSeq;
        // Drop delivered records as we go so replay memory stays near the undelivered size. Records of one stream
        // are journaled in seq order, so the delivered ones are a prefix; cut it in one splice.
        let n = 0;
        while (n < s.records.length && s.records[n]!.seq <= upToSeq) n++;
        if (n > 0) s.records.splice(0, n);
        break;
      }
      case ENTRY_CHECKPOINT: {
        const c = JSON.parse(e.payload.toString('utf8')) as ShardCheckpoint;
        streams.get(c.stream)?.checkpoints.set(c.shardId, c);
        break;
      }
      default:
        // An entry type from a newer kedge: skip it rather than refuse to start.
        break;
    }
  }
  return [...streams.values()].map((s) => ({
    stored: s.stored,
    records: s.records.filter((r) => r.seq > s.deliveredUpTo),
    nextSeq: s.maxSeq + 1,
    checkpoints: s.checkpoints,
  }));
}
