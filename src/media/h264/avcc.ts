import { H264Error } from './errors.js';
import { parseSps } from './sps.js';

/** Profiles whose avcC has no chroma/bit-depth extension (ISO/IEC 14496-15 5.3.3.1.2, as ffmpeg writes it). */
const PROFILES_WITHOUT_EXTENSION = new Set([66, 77, 88]);

/**
 * Builds the AVCDecoderConfigurationRecord (avcC) that MKV's CodecPrivate carries for
 * `V_MPEG4/ISO/AVC`: version 1, profile/compatibility/level copied from the first SPS, 4-byte NAL
 * lengths, the SPS and PPS NAL units as they are in the stream (header byte and emulation prevention
 * included), and for High profiles the chroma format and bit depths.
 */
export function buildAvcc(spsList: readonly Uint8Array[], ppsList: readonly Uint8Array[]): Uint8Array {
  const first = spsList[0];
  if (!first || ppsList.length === 0) {
    throw new H264Error('H264_NO_PARAMETER_SETS', 'avcC needs at least one SPS and one PPS; wait for a keyframe that carries them');
  }
  if (spsList.length > 31 || ppsList.length > 255) {
    throw new H264Error('H264_INVALID_AVCC', `avcC holds at most 31 SPS and 255 PPS (got ${spsList.length} and ${ppsList.length})`);
  }
  const info = parseSps(first);
  const extension = !PROFILES_WITHOUT_EXTENSION.has(info.profileIdc);
  let size = 7 + (extension ? 4 : 0);
  for (const n of spsList) size += 2 + checkedLength(n);
  for (const n of ppsList) size += 2 + checkedLength(n);
  const out = new Uint8Array(size);
  out[0] = 1; // configurationVersion
  out[1] = first[1]!; // AVCProfileIndication
  out[2] = first[2]!; // profile_compatibility
  out[3] = first[3]!; // AVCLevelIndication
  out[4] = 0xfc | 3; // reserved bits, lengthSizeMinusOne = 3
  out[5] = 0xe0 | spsList.length;
  let p = 6;
  for (const n of spsList) p = writeWithLength(out, p, n);
  out[p++] = ppsList.length;
  for (const n of ppsList) p = writeWithLength(out, p, n);
  if (extension) {
    out[p] = 0xfc | info.chromaFormatIdc;
    out[p + 1] = 0xf8 | (info.bitDepthLuma - 8);
    out[p + 2] = 0xf8 | (info.bitDepthChroma - 8);
    out[p + 3] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

/** A parsed avcC, for readers of MKV (the local video target, tests). */
export interface AvcDecoderConfig {
  readonly profileIdc: number;
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  readonly nalLengthSize: number;
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

export function parseAvcc(record: Uint8Array): AvcDecoderConfig {
  const fail = (why: string): never => {
    throw new H264Error('H264_INVALID_AVCC', `avcC (${record.length} bytes) ${why}; CodecPrivate must be an AVCDecoderConfigurationRecord`);
  };
  if (record.length < 7) fail('is shorter than 7 bytes');
  if (record[0] !== 1) fail(`has configurationVersion ${record[0]}, not 1`);
  let p = 5;
  const readList = (count: number): Uint8Array[] => {
    const list: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) fail('ends inside a parameter-set length');
      const len = (record[p]! << 8) | record[p + 1]!;
      p += 2;
      if (p + len > record.length) fail(`has a ${len}-byte parameter set running past its end`);
      list.push(record.subarray(p, p + len));
      p += len;
    }
    return list;
  };
  const sps = readList(record[p++]! & 0x1f);
  if (p >= record.length) fail('ends before the PPS count');
  const pps = readList(record[p++]!);
  return {
    profileIdc: record[1]!,
    profileCompatibility: record[2]!,
    levelIdc: record[3]!,
    nalLengthSize: (record[4]! & 3) + 1,
    sps,
    pps,
  };
}

function checkedLength(nal: Uint8Array): number {
  if (nal.length === 0 || nal.length > 0xffff) {
    throw new H264Error('H264_INVALID_AVCC', `a parameter set of ${nal.length} bytes does not fit avcC's 16-bit length`);
  }
  return nal.length;
}

function writeWithLength(out: Uint8Array, p: number, nal: Uint8Array): number {
  out[p] = nal.length >> 8;
  out[p + 1] = nal.length & 0xff;
  out.set(nal, p + 2);
  return p + 2 + nal.length;
}
