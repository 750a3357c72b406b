/**
 * Persistence of the streams target in one journal (src/ingest/store/journal.ts).
 *
 * Entries:
 *   1 STREAM_STATE    JSON: a stream's metadata (shards, ranges, counters, retention, tags, status times).
 *                     Written after every control-plane change; on replay the last one per stream id wins.
 *   2 STREAM_DELETED  JSON `{ "id": n }`.
 *   3 RECORDS         binary, one entry per PutRecord(s) request (or per chunk when compacting):
 *                       u32 streamId | u32 count | count × record
 *                       record = u32 shardIndex | u32 counterLo | u32 counterHi | f64 arrivalMs
 *                                | u16 pkLen | pk (UTF-8) | u8 ehkLen | ehk (ASCII) | u32 dataLen | data
 *                     (little-endian). Record data is decoded from base64 straight into this frame, and the stored
 *                     records keep views into it, so a request costs one allocation and one write.
 *
 * Trimming is not journaled record by record: replay drops what retention has expired on the clock, and an eager
 * trim (retention change) is carried by STREAM_STATE's per-shard `firstLive` counter. When trimmed or deleted data
 * makes up most of the file, the journal is rewritten with only live state (`compact`).
 */
import { join } from 'node:path';
import { Journal, allocFrame, type JournalEntry, type PreparedFrame } from '../store/journal.js';
import { Shard, Stream, type StoredRecord, type StreamMode } from './model.js';

export const JOURNAL_FILE = 'streams.journal';

const STREAM_STATE = 1;
const STREAM_DELETED = 2;
const RECORDS = 3;

export const RECORDS_HEADER_BYTES = 8;
export const RECORD_FIXED_BYTES = 27;

/** Don't bother compacting journals smaller than this; past it, compact once dead bytes are over half. */
export const DEFAULT_COMPACT_MIN_BYTES = 64 * 1024 * 1024;
const COMPACT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface StreamStore {
  /** A buffer for one RECORDS payload of `payloadBytes` (a journal frame when persistent). */
  allocRecords(payloadBytes: number): PreparedFrame;
  /** Makes the batch durable (against a crash of this process) before the caller acknowledges it. */
  commitRecords(frame: PreparedFrame): void;
  saveStream(stream: Stream): void;
  deleteStream(stream: Stream, deadBytes: number): void;
  /** Records trimmed away: their journal bytes are now dead. */
  noteDeadBytes(bytes: number): void;
  /** Rewrites the journal with only live state if dead bytes dominate. */
  maybeCompact(streams: () => Iterable<Stream>): void;
  close(): void;
}

export class MemoryStreamStore implements StreamStore {
  allocRecords(payloadBytes: number): PreparedFrame {
    const frame = Buffer.allocUnsafe(payloadBytes);
    return { frame, payload: frame };
  }
  commitRecords(): void {}
  saveStream(): void {}
  deleteStream(): void {}
  noteDeadBytes(): void {}
  maybeCompact(): void {}
  close(): void {}
}

interface ShardState {
  i: number;
  s: string;
  e: string;
  c: number;
  p?: number;
  a?: number;
  x?: number;
  ec?: number;
  n: number;
  f: number;
}

interface StreamState {
  id: number;
  name: string;
  region: string;
  accountId: string;
  createdMs: number;
  mode: StreamMode;
  retentionHours: number;
  activeFromMs: number;
  updatingUntilMs: number;
  tags: [string, string][];
  shards: ShardState[];
}

function streamState(stream: Stream): StreamState {
  return {
    id: stream.id,
    name: stream.name,
    region: stream.region,
    accountId: stream.accountId,
    createdMs: stream.createdMs,
    mode: stream.mode,
    retentionHours: stream.retentionHours,
    activeFromMs: stream.activeFromMs,
    updatingUntilMs: stream.updatingUntilMs,
    tags: [...stream.tags],
    shards: stream.shards.map((s) => ({
      i: s.index,
      s: s.startHash.toString(),
      e: s.endHash.toString(),
      c: s.createdMs,
      ...(s.parentIndex === undefined ? {} : { p: s.parentIndex }),
      ...(s.adjacentParentIndex === undefined ? {} : { a: s.adjacentParentIndex }),
      ...(s.closedMs === undefined ? {} : { x: s.closedMs, ec: s.endingCounter }),
      n: s.nextCounter,
      f: s.firstLiveCounter,
    })),
  };
}

/** Creates or updates `streams[state.id]` from a STREAM_STATE entry. */
function applyStreamState(streams: Map<number, Stream>, state: StreamState): void {
  let stream = streams.get(state.id);
  if (!stream) {
    stream = new Stream(state.id, state.name, state.region, state.accountId, state.createdMs, state.mode, state.retentionHours, state.activeFromMs);
    streams.set(state.id, stream);
  }
  stream.mode = state.mode;
  stream.retentionHours = state.retentionHours;
  stream.activeFromMs = state.activeFromMs;
  stream.updatingUntilMs = state.updatingUntilMs;
  stream.tags.clear();
  for (const [k, v] of state.tags) stream.tags.set(k, v);
  for (const s of state.shards) {
    let shard = stream.shards[s.i];
    if (!shard) {
      shard = new Shard(s.i, BigInt(s.s), BigInt(s.e), s.c, s.n, s.p, s.a);
      stream.addShard(shard);
    }
    shard.nextCounter = Math.max(shard.nextCounter, s.n);
    if (s.x !== undefined) {
      shard.closedMs = s.x;
      shard.endingCounter = s.ec;
    }
    shard.trimBelowCounter(s.f);
  }
  stream.reindexOpenShards();
}

/** Writes RECORDS payloads; `view` of the data written last is what the stored record keeps. */
export class RecordsEncoder {
  private at = RECORDS_HEADER_BYTES;

  constructor(
    readonly payload: Buffer,
    streamId: number,
    count: number,
  ) {
    payload.writeUInt32LE(streamId, 0);
    payload.writeUInt32LE(count, 4);
  }

  static recordBytes(partitionKeyBytes: number, explicitHashKeyBytes: number, dataBytes: number): number {
    return RECORD_FIXED_BYTES + partitionKeyBytes + explicitHashKeyBytes + dataBytes;
  }

  /** Writes the fixed part and the keys; returns the offset where `dataBytes` of data go. */
  beginRecord(shardIndex: number, counter: number, arrivalMs: number, partitionKey: string, pkBytes: number, explicitHashKey: string | undefined, dataBytes: number): number {
    const b = this.payload;
    let at = this.at;
    b.writeUInt32LE(shardIndex, at);
    b.writeUInt32LE(counter >>> 0, at + 4);
    b.writeUInt32LE(Math.floor(counter / 0x1_0000_0000), at + 8);
    b.writeDoubleLE(arrivalMs, at + 12);
    b.writeUInt16LE(pkBytes, at + 20);
    at += 22;
    at += b.write(partitionKey, at, pkBytes, 'utf8');
    const ehkBytes = explicitHashKey === undefined ? 0 : explicitHashKey.length;
    b[at++] = ehkBytes;
    if (ehkBytes > 0) at += b.write(explicitHashKey!, at, ehkBytes, 'latin1');
    b.writeUInt32LE(dataBytes, at);
    at += 4;
    this.at = at + dataBytes;
    return at;
  }
}

export interface OpenedStreams {
  readonly store: StreamStore;
  readonly streams: Map<number, Stream>;
  /** Bytes cut from the journal's torn or corrupt tail. */
  readonly discardedBytes: number;
}

export class JournalStreamStore implements StreamStore {
  private deadBytes = 0;

  private constructor(
    private readonly journal: Journal,
    private readonly compactMinBytes: number,
  ) {}

  static open(dataDir: string, options: { compactMinBytes?: number } = {}): OpenedStreams {
    const { journal, entries, discardedBytes } = Journal.open(join(dataDir, JOURNAL_FILE), { entryViews: true });
    const store = new JournalStreamStore(journal, options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES);
    const streams = new Map<number, Stream>();
    let deadBytes = 0;
    for (const entry of entries) {
      if (entry.type === STREAM_STATE) {
        applyStreamState(streams, JSON.parse(entry.payload.toString('utf8')) as StreamState);
      } else if (entry.type === STREAM_DELETED) {
        const { id } = JSON.parse(entry.payload.toString('utf8')) as { id: number };
        streams.delete(id);
      } else if (entry.type === RECORDS) {
        const stream = streams.get(entry.payload.readUInt32LE(0));
        if (stream) replayRecords(stream, entry.payload);
        else deadBytes += entry.payload.length;
      }
    }
    store.deadBytes = deadBytes;
    return { store, streams, discardedBytes };
  }

  allocRecords(payloadBytes: number): PreparedFrame {
    return allocFrame(payloadBytes);
  }

  commitRecords(frame: PreparedFrame): void {
    this.journal.appendFrame(RECORDS, frame);
  }

  saveStream(stream: Stream): void {
    this.journal.append(STREAM_STATE, Buffer.from(JSON.stringify(streamState(stream)), 'utf8'));
  }

  deleteStream(stream: Stream, deadBytes: number): void {
    this.journal.append(STREAM_DELETED, Buffer.from(JSON.stringify({ id: stream.id }), 'utf8'));
    this.deadBytes += deadBytes;
  }

  noteDeadBytes(bytes: number): void {
    this.deadBytes += bytes;
  }

  get journalBytes(): number {
    return this.journal.bytes;
  }

  maybeCompact(streams: () => Iterable<Stream>, force = false): void {
    const size = this.journal.bytes;
    if (!force && (size < this.compactMinBytes || this.deadBytes * 2 < size)) return;
    this.journal.rewrite(liveEntries(streams()));
    this.deadBytes = 0;
  }

  close(): void {
    this.journal.close();
  }
}

function replayRecords(stream: Stream, payload: Buffer): void {
  const count = payload.readUInt32LE(4);
  let at = RECORDS_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const start = at;
    const shardIndex = payload.readUInt32LE(at);
    const counter = payload.readUInt32LE(at + 4) + payload.readUInt32LE(at + 8) * 0x1_0000_0000;
    const arrivalMs = payload.readDoubleLE(at + 12);
    const pkBytes = payload.readUInt16LE(at + 20);
    at += 22;
    const partitionKey = payload.toString('utf8', at, at + pkBytes);
    at += pkBytes;
    const ehkBytes = payload[at++]!;
    const explicitHashKey = ehkBytes > 0 ? payload.toString('latin1', at, at + ehkBytes) : undefined;
    at += ehkBytes;
    const dataBytes = payload.readUInt32LE(at);
    at += 4;
    const offset = at;
    at += dataBytes;
    const shard = stream.shards[shardIndex];
    // A record below the shard's trim point was trimmed eagerly before the crash; keep counters moving regardless.
    if (!shard) continue;
    if (counter >= shard.nextCounter) shard.nextCounter = counter + 1;
    if (shard.records.length > 0 && shard.records[shard.records.length - 1]!.counter >= counter) continue;
    const record: StoredRecord = { counter, partitionKey, explicitHashKey, block: payload, offset, length: dataBytes, arrivalMs, journalBytes: at - start };
    shard.records.push(record);
  }
}

/** The entries of a compacted journal: each stream's state, then its live records in chunks. */
function* liveEntries(streams: Iterable<Stream>): Generator<JournalEntry> {
  for (const stream of streams) {
    yield { type: STREAM_STATE, payload: Buffer.from(JSON.stringify(streamState(stream)), 'utf8') };
    for (const shard of stream.shards) {
      let i = shard.head;
      while (i < shard.records.length) {
        let bytes = RECORDS_HEADER_BYTES;
        let end = i;
        while (end < shard.records.length && (end === i || bytes + shard.records[end]!.journalBytes <= COMPACT_CHUNK_BYTES)) {
          bytes += shard.records[end]!.journalBytes;
          end++;
        }
        const payload = Buffer.allocUnsafe(bytes);
        const encoder = new RecordsEncoder(payload, stream.id, end - i);
        for (; i < end; i++) {
          const r = shard.records[i]!;
          const at = encoder.beginRecord(shard.index, r.counter, r.arrivalMs, r.partitionKey, Buffer.byteLength(r.partitionKey), r.explicitHashKey, r.length);
          r.block.copy(payload, at, r.offset, r.offset + r.length);
        }
        yield { type: RECORDS, payload };
      }
    }
  }
}
