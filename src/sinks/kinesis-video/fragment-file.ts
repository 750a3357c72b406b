/**
 * On-disk format of the fragment store: one file per fragment, one file per distinct MKV stream header.
 *
 * Fragment file `<seq as 16 hex digits>.frag`: a 48-byte header, then the fragment bytes (one MKV Cluster,
 * optionally followed by Tags). Little-endian:
 *
 *   0  'KFRG'            4  version (1)      5  flags (bit 0: starts with a keyframe)    6  reserved u16
 *   8  seq u64           16 fragment timecode (ms, absolute) i64      24 duration ms u32
 *   28 payload bytes u32 32 payload CRC-32 u32                        36 stream header id (8 bytes)
 *   44 CRC-32 of bytes 0..43
 *
 * Header file `<id as 16 hex digits>.hdr`: 'KHDR', version (1), 3 reserved bytes, length u32, CRC-32 of the
 * bytes u32, then the bytes (EBML + Segment + Info + Tracks). The id is the first 8 bytes of SHA-256 of the
 * bytes, so the same header is stored once however many fragments use it.
 *
 * A file is written to `<name>.tmp` and renamed, so a reader never sees half a file under its real name.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const FRAGMENT_HEADER_BYTES = 48;
export const STREAM_HEADER_PREFIX_BYTES = 16;
const FRAGMENT_MAGIC = 0x4752464b; // 'KFRG' read as u32 LE
const HEADER_MAGIC = 0x5244484b; // 'KHDR'
const VERSION = 1;
const FLAG_KEYFRAME = 1;

export interface FragmentFileHeader {
  readonly seq: number;
  readonly fragmentTimecodeMs: number;
  readonly durationMs: number;
  readonly keyframe: boolean;
  readonly payloadBytes: number;
  readonly payloadCrc: number;
  /** 16 lower-case hex digits. */
  readonly headerId: string;
}

export const fragmentFileName = (seq: number): string => `${seq.toString(16).padStart(16, '0')}.frag`;
export const headerFileName = (headerId: string): string => `${headerId}.hdr`;
export const FRAGMENT_FILE_PATTERN = /^([0-9a-f]{16})\.frag$/;
export const HEADER_FILE_PATTERN = /^([0-9a-f]{16})\.hdr$/;

export function streamHeaderId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export function encodeFragmentHeader(h: FragmentFileHeader): Buffer {
  const out = Buffer.alloc(FRAGMENT_HEADER_BYTES);
  out.writeUInt32LE(FRAGMENT_MAGIC, 0);
  out[4] = VERSION;
  out[5] = h.keyframe ? FLAG_KEYFRAME : 0;
  out.writeBigUInt64LE(BigInt(h.seq), 8);
  out.writeBigInt64LE(BigInt(h.fragmentTimecodeMs), 16);
  out.writeUInt32LE(h.durationMs, 24);
  out.writeUInt32LE(h.payloadBytes, 28);
  out.writeUInt32LE(h.payloadCrc, 32);
  out.write(h.headerId, 36, 8, 'hex');
  out.writeUInt32LE(crc32(out.subarray(0, 44)), 44);
  return out;
}

/** Decodes and checks a fragment file header; returns why it is unusable instead of throwing. */
export function decodeFragmentHeader(buf: Buffer): FragmentFileHeader | { invalid: string } {
  if (buf.length < FRAGMENT_HEADER_BYTES) return { invalid: 'file shorter than its header (torn write)' };
  if (buf.readUInt32LE(0) !== FRAGMENT_MAGIC) return { invalid: 'not a fragment file (bad magic)' };
  if (buf.readUInt32LE(44) !== crc32(buf.subarray(0, 44))) return { invalid: 'header checksum mismatch' };
  if (buf[4] !== VERSION) return { invalid: `unsupported version ${buf[4]}` };
  return {
    seq: Number(buf.readBigUInt64LE(8)),
    fragmentTimecodeMs: Number(buf.readBigInt64LE(16)),
    durationMs: buf.readUInt32LE(24),
    keyframe: (buf[5]! & FLAG_KEYFRAME) !== 0,
    payloadBytes: buf.readUInt32LE(28),
    payloadCrc: buf.readUInt32LE(32),
    headerId: buf.toString('hex', 36, 44),
  };
}

export function encodeStreamHeaderFile(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(STREAM_HEADER_PREFIX_BYTES + bytes.length);
  out.writeUInt32LE(HEADER_MAGIC, 0);
  out[4] = VERSION;
  out.writeUInt32LE(bytes.length, 8);
  out.writeUInt32LE(crc32(bytes), 12);
  out.set(bytes, STREAM_HEADER_PREFIX_BYTES);
  return out;
}

export function decodeStreamHeaderFile(buf: Buffer): Buffer | { invalid: string } {
  if (buf.length < STREAM_HEADER_PREFIX_BYTES || buf.readUInt32LE(0) !== HEADER_MAGIC) return { invalid: 'not a header file' };
  const length = buf.readUInt32LE(8);
  if (buf.length !== STREAM_HEADER_PREFIX_BYTES + length) return { invalid: 'header file has the wrong length (torn write)' };
  const bytes = buf.subarray(STREAM_HEADER_PREFIX_BYTES);
  if (crc32(bytes) !== buf.readUInt32LE(12)) return { invalid: 'header file checksum mismatch' };
  return bytes;
}
