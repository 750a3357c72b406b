/**
 * Entry framing (SPEC.md §3): `sync u32 | length u32 | checksum u32 | sequence u64 | header crc u32 | payload`,
 * little-endian, 24-byte header. The header checksum lets a reader trust `length`; the sync marker lets it
 * find the next entry after a damaged header (§3.1). Pure functions over buffers: no I/O here.
 */
import { crc32Range } from './header-crc.js';

export const ENTRY_HEADER_BYTES = 24;
/** "KSE" + format version 1. */
export const SYNC_MARKER: Buffer = Buffer.from([0x4b, 0x53, 0x45, 0x01]);
const SYNC_U32 = SYNC_MARKER.readUInt32LE(0);
const TWO_32 = 2 ** 32;
/** Seqs are JS numbers; 2^53 entries is beyond any device's lifetime, so larger u64s mean corruption. */
const MAX_SEQ_HIGH_WORD = 2 ** 21;

export interface EntryHeader {
  readonly seq: number;
  readonly length: number;
  readonly checksum: number;
}

export function framedSize(payloadLength: number): number {
  return ENTRY_HEADER_BYTES + payloadLength;
}

export function writeU64(buf: Buffer, at: number, value: number): void {
  buf.writeUInt32LE(value % TWO_32, at);
  buf.writeUInt32LE(Math.floor(value / TWO_32), at + 4);
}

/** The u64 at `at`, or undefined if it does not fit a safe integer. */
export function readU64(buf: Buffer, at: number): number | undefined {
  const high = buf.readUInt32LE(at + 4);
  if (high >= MAX_SEQ_HIGH_WORD) return undefined;
  return high * TWO_32 + buf.readUInt32LE(at);
}

/**
 * Frames payloads into one buffer, leaving each header's seq and header checksum to `stampSeq`.
 * Why split: the payload is copied (and checksummed) once, when `append` is called, so the caller may
 * reuse its buffer at once; the seq is only known when the write happens.
 */
export function prepareFrames(payloads: readonly Uint8Array[], totalBytes: number, allocate?: (bytes: number) => Buffer): Buffer {
  const out = allocate !== undefined ? allocate(totalBytes) : Buffer.allocUnsafe(totalBytes);
  let at = 0;
  for (const payload of payloads) {
    out.writeUInt32LE(SYNC_U32, at);
    out.writeUInt32LE(payload.length, at + 4);
    out.writeUInt32LE(crc32Range(payload, 0, payload.length), at + 8);
    out.set(payload, at + ENTRY_HEADER_BYTES);
    at += ENTRY_HEADER_BYTES + payload.length;
  }
  return out;
}

/** Fills in the caller's part of the header of an entry whose payload is already at `at + 24` (prepareFrames' layout). */
export function frameHeader(frames: Buffer, at: number, payloadLength: number): void {
  frames.writeUInt32LE(SYNC_U32, at);
  frames.writeUInt32LE(payloadLength, at + 4);
  const start = at + ENTRY_HEADER_BYTES;
  frames.writeUInt32LE(crc32Range(frames, start, start + payloadLength), at + 8);
}

/**
 * Checks caller-framed entries (appendFrames): `count` entries with sync markers, filling `frames`
 * exactly, none larger than `maxSegmentBytes`. Returns the framed bytes; throws a message for a misuse.
 */
export function checkFrames(frames: Buffer, count: number, maxSegmentBytes: number): { readonly bytes: number; readonly tooLarge: number | undefined; readonly error: string | undefined } {
  let at = 0;
  let tooLarge: number | undefined;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_HEADER_BYTES > frames.length || frames.readUInt32LE(at) !== SYNC_U32) {
      return { bytes: at, tooLarge, error: `frame ${i} of ${count} is not a framed entry (at byte ${at} of ${frames.length})` };
    }
    const length = frames.readUInt32LE(at + 4);
    if (ENTRY_HEADER_BYTES + length > maxSegmentBytes && tooLarge === undefined) tooLarge = length;
    at += ENTRY_HEADER_BYTES + length;
  }
  if (at !== frames.length) return { bytes: at, tooLarge, error: `${count} framed entries end at byte ${at}, but the buffer holds ${frames.length}` };
  return { bytes: at, tooLarge, error: undefined };
}

/** Writes `seq` and the header checksum into the prepared frame at `at`; returns the offset after the entry. */
export function stampSeq(frames: Buffer, at: number, seq: number): number {
  writeU64(frames, at + 12, seq);
  frames.writeUInt32LE(crc32Range(frames, at, at + 20), at + 20);
  return at + ENTRY_HEADER_BYTES + frames.readUInt32LE(at + 4);
}

/** Frames one payload as entry `seq` (tests and tools; the writer uses prepareFrames + stampSeq). */
export function encodeEntry(seq: number, payload: Uint8Array): Buffer {
  const frame = prepareFrames([payload], framedSize(payload.length));
  stampSeq(frame, 0, seq);
  return frame;
}

/** The header at `at` if its sync marker and header checksum are right (needs 24 bytes); else undefined. */
export function readHeader(buf: Buffer, at: number): EntryHeader | undefined {
  const header = new MutableEntryHeader();
  return readHeaderInto(buf, at, header) ? header : undefined;
}

/** A header a reader fills in place for every entry (readHeaderInto), instead of an object per entry. */
export class MutableEntryHeader implements EntryHeader {
  seq = 0;
  length = 0;
  checksum = 0;
}

/** Like {@link readHeader}, into `out`; false (leaving `out` undefined in meaning) if there is no valid header at `at`. */
export function readHeaderInto(buf: Buffer, at: number, out: MutableEntryHeader): boolean {
  if (at + ENTRY_HEADER_BYTES > buf.length) return false;
  if (buf.readUInt32LE(at) !== SYNC_U32) return false;
  if (crc32Range(buf, at, at + 20) !== buf.readUInt32LE(at + 20)) return false;
  const seq = readU64(buf, at + 12);
  if (seq === undefined) return false;
  out.seq = seq;
  out.length = buf.readUInt32LE(at + 4);
  out.checksum = buf.readUInt32LE(at + 8);
  return true;
}

/** True if the payload of the entry whose header is at `at` matches its checksum (the entry must be in `buf`). */
export function payloadIntact(buf: Buffer, at: number, header: EntryHeader): boolean {
  const start = at + ENTRY_HEADER_BYTES;
  return crc32Range(buf, start, start + header.length) === header.checksum;
}

/**
 * Resynchronisation (SPEC.md §3.1): the first offset >= `from` holding a valid header whose seq is in
 * [minSeq, maxSeq] and whose whole entry lies inside `buf`; -1 if there is none.
 */
export function findNextHeader(buf: Buffer, from: number, minSeq: number, maxSeq: number): number {
  let at = from;
  for (;;) {
    const candidate = buf.indexOf(SYNC_MARKER, at);
    if (candidate < 0 || candidate + ENTRY_HEADER_BYTES > buf.length) return -1;
    const header = readHeader(buf, candidate);
    if (
      header !== undefined &&
      header.seq >= minSeq &&
      header.seq <= maxSeq &&
      candidate + ENTRY_HEADER_BYTES + header.length <= buf.length
    ) {
      return candidate;
    }
    at = candidate + 1;
  }
}

export interface SegmentScan {
  /** Seq of the last intact entry, or `firstSeq - 1` if there is none. */
  readonly lastSeq: number;
  /** Offset just after the last intact entry: everything from here on is a torn tail. */
  readonly validEnd: number;
  readonly intactEntries: number;
}

/**
 * Walks a whole segment held in memory (the active segment at open, SPEC.md §8.2), skipping damaged
 * entries the way a reader would, and reports where the last intact entry ends.
 */
export function scanSegment(buf: Buffer, firstSeq: number): SegmentScan {
  let at = 0;
  let expect = firstSeq;
  let lastSeq = firstSeq - 1;
  let validEnd = 0;
  let intactEntries = 0;
  while (at + ENTRY_HEADER_BYTES <= buf.length) {
    const header = readHeader(buf, at);
    if (header !== undefined && header.seq >= expect && at + ENTRY_HEADER_BYTES + header.length <= buf.length) {
      const end = at + ENTRY_HEADER_BYTES + header.length;
      // A damaged payload behind an intact header costs that one entry; the reader counts it later.
      if (payloadIntact(buf, at, header)) {
        lastSeq = header.seq;
        validEnd = end;
        intactEntries += 1;
      }
      expect = header.seq + 1;
      at = end;
      continue;
    }
    const next = findNextHeader(buf, at + 1, expect, Number.MAX_SAFE_INTEGER);
    if (next < 0) break;
    at = next;
  }
  return { lastSeq, validEnd, intactEntries };
}
