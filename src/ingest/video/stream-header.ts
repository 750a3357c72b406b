/**
 * A PutMedia session's MKV header as the target keeps it: the raw EBML header, Info and Tracks elements,
 * stored once per session and put back in front of every fragment it serves (kvs.md §2.1: "the backend
 * prepends the session's MKV header to every fragment").
 */
import { DEFAULT_TIMECODE_SCALE_NS, MkvReader, type MkvTrack } from '../../media/mkv/index.js';

export interface HeaderParts {
  readonly ebml: Buffer;
  /** Empty when the producer sent no Info (TimecodeScale is then 1 ms). */
  readonly info: Buffer;
  readonly tracks: Buffer;
}

export interface StoredHeader extends HeaderParts {
  readonly id: number;
  readonly timecodeScaleNs: number;
  readonly trackList: readonly MkvTrack[];
}

/** Segment ID with an 8-byte unknown size, as KVS writes it in GetMedia output. */
export const SEGMENT_OF_UNKNOWN_SIZE = Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Parses the parts back (they were valid when the session sent them; a damaged entry throws MkvError). */
export function describeHeader(id: number, parts: HeaderParts): StoredHeader {
  const reader = new MkvReader();
  let timecodeScaleNs = DEFAULT_TIMECODE_SCALE_NS;
  let trackList: readonly MkvTrack[] = [];
  for (const e of reader.push(Buffer.concat([parts.ebml, SEGMENT_OF_UNKNOWN_SIZE, parts.info, parts.tracks]))) {
    if (e.type === 'info') timecodeScaleNs = e.timecodeScaleNs;
    else if (e.type === 'tracks') trackList = e.tracks;
  }
  return { ...parts, id, timecodeScaleNs, trackList };
}

export function sameHeaderBytes(a: HeaderParts, b: HeaderParts): boolean {
  return a.ebml.equals(b.ebml) && a.info.equals(b.info) && a.tracks.equals(b.tracks);
}

/** `u32 id | u32 len | ebml | u32 len | info | u32 len | tracks` (little-endian), for the index journal. */
export function encodeHeaderEntry(h: StoredHeader): Buffer {
  const out = Buffer.allocUnsafe(16 + h.ebml.length + h.info.length + h.tracks.length);
  out.writeUInt32LE(h.id, 0);
  let p = 4;
  for (const part of [h.ebml, h.info, h.tracks]) {
    out.writeUInt32LE(part.length, p);
    part.copy(out, p + 4);
    p += 4 + part.length;
  }
  return out;
}

export function decodeHeaderEntry(payload: Buffer): StoredHeader {
  const id = payload.readUInt32LE(0);
  let p = 4;
  const parts: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    const length = payload.readUInt32LE(p);
    parts.push(Buffer.from(payload.subarray(p + 4, p + 4 + length)));
    p += 4 + length;
  }
  return describeHeader(id, { ebml: parts[0]!, info: parts[1]!, tracks: parts[2]! });
}
