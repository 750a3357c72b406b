/**
 * Entries of the Firehose journal. Records are binary (a put of 500 records is one entry, no JSON per record);
 * the rare control entries (stream config, checkpoints) are JSON.
 *
 *   STREAM     JSON StoredStream                     (created or changed; the last one wins)
 *   DELETED    utf8 stream name
 *   RECORDS    u16 nameLen | name | u32 count | count x record
 *              record = f64 seq | f64 arrival | u32 dataLen | data | u8 hasKinesis
 *                       [ | str shardId | str partitionKey | str sequenceNumber | u32 subsequence | f64 kinesisArrival ]
 *              (str = u16 length | utf8)
 *   DELIVERED  u16 nameLen | name | f64 upToSeq      (every record with seq <= upToSeq is delivered or in an error object)
 *   CHECKPOINT JSON { stream, shardId, sequenceNumber?, closed }   (Kinesis source read position)
 */
import type { JournalEntry } from '../store/journal.js';
import type { FirehoseRecord, KinesisMetadata } from './records.js';

export const ENTRY_STREAM = 1;
export const ENTRY_DELETED = 2;
export const ENTRY_RECORDS = 3;
export const ENTRY_DELIVERED = 4;
export const ENTRY_CHECKPOINT = 5;

/** What the journal keeps of a delivery stream besides its records. */
export interface StoredStream {
  readonly name: string;
  /** The CreateDeliveryStream input, re-parsed on restart. */
  readonly input: Record<string, unknown>;
  readonly createdAt: number;
  readonly versionId: number;
  readonly idBase: string;
  readonly tags: ReadonlyArray<{ Key: string; Value?: string }>;
}

export interface ShardCheckpoint {
  readonly stream: string;
  readonly shardId: string;
  /** Last sequence number taken into the delivery stream's buffer; absent = nothing read yet. */
  readonly sequenceNumber?: string | undefined;
  /** The shard is closed and fully read. */
  readonly closed: boolean;
}

const json = (type: number, value: unknown): JournalEntry => ({ type, payload: Buffer.from(JSON.stringify(value)) });

export const streamEntry = (s: StoredStream): JournalEntry => json(ENTRY_STREAM, s);
export const checkpointEntry = (c: ShardCheckpoint): JournalEntry => json(ENTRY_CHECKPOINT, c);
export const deletedEntry = (name: string): JournalEntry => ({ type: ENTRY_DELETED, payload: Buffer.from(name) });

export function deliveredEntry(name: string, upToSeq: number): JournalEntry {
  const nameBytes = Buffer.from(name);
  const out = Buffer.allocUnsafe(2 + nameBytes.length + 8);
  out.writeUInt16LE(nameBytes.length, 0);
  nameBytes.copy(out, 2);
  out.writeDoubleLE(upToSeq, 2 + nameBytes.length);
  return { type: ENTRY_DELIVERED, payload: out };
}

export function decodeDelivered(payload: Buffer): { name: string; upToSeq: number } {
  const n = payload.readUInt16LE(0);
  return { name: payload.toString('utf8', 2, 2 + n), upToSeq: payload.readDoubleLE(2 + n) };
}

const strBytes = (s: string): number => 2 + Buffer.byteLength(s);

function writeStr(out: Buffer, at: number, s: string): number {
  const n = out.write(s, at + 2, 'utf8');
  out.writeUInt16LE(n, at);
  return at + 2 + n;
}

export function recordsEntry(name: string, records: readonly FirehoseRecord[]): JournalEntry {
  let size = strBytes(name) + 4;
  for (const r of records) {
    size += 8 + 8 + 4 + r.data.length + 1;
    if (r.kinesis) size += strBytes(r.kinesis.shardId) + strBytes(r.kinesis.partitionKey) + strBytes(r.kinesis.sequenceNumber) + 4 + 8;
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeStr(out, 0, name);
  out.writeUInt32LE(records.length, at);
  at += 4;
  for (const r of records) {
    out.writeDoubleLE(r.seq, at);
    out.writeDoubleLE(r.arrival, at + 8);
    out.writeUInt32LE(r.data.length, at + 16);
    at += 20;
    at += r.data.copy(out, at);
    const k = r.kinesis;
    out[at++] = k ? 1 : 0;
    if (k) {
      at = writeStr(out, at, k.shardId);
      at = writeStr(out, at, k.partitionKey);
      at = writeStr(out, at, k.sequenceNumber);
      out.writeUInt32LE(k.subsequenceNumber, at);
      out.writeDoubleLE(k.approximateArrivalTimestamp, at + 4);
      at += 12;
    }
  }
  return { type: ENTRY_RECORDS, payload: out };
}

export function decodeRecords(payload: Buffer): { name: string; records: FirehoseRecord[] } {
  let at = 0;
  const str = (): string => {
    const n = payload.readUInt16LE(at);
    const s = payload.toString('utf8', at + 2, at + 2 + n);
    at += 2 + n;
    return s;
  };
  const name = str();
  const count = payload.readUInt32LE(at);
  at += 4;
  const records: FirehoseRecord[] = [];
  for (let i = 0; i < count; i++) {
    const seq = payload.readDoubleLE(at);
    const arrival = payload.readDoubleLE(at + 8);
    const length = payload.readUInt32LE(at + 16);
    at += 20;
    // The journal hands out owned buffers, so a view is safe and avoids a copy per record.
    const data = payload.subarray(at, at + length);
    at += length;
    let kinesis: KinesisMetadata | undefined;
    if (payload[at++] === 1) {
      const shardId = str();
      const partitionKey = str();
      const sequenceNumber = str();
      const subsequenceNumber = payload.readUInt32LE(at);
      const approximateArrivalTimestamp = payload.readDoubleLE(at + 4);
      at += 12;
      kinesis = { shardId, partitionKey, sequenceNumber, subsequenceNumber, approximateArrivalTimestamp };
    }
    records.push({ seq, data, arrival, kinesis });
  }
  return { name, records };
}
