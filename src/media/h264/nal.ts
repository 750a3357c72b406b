import { BitReader, unescapeRbsp } from './rbsp.js';

/** NAL unit types of ITU-T H.264 Table 7-1 that the parser treats specially. */
export const NalType = {
  NonIdrSlice: 1,
  SliceDataPartitionA: 2,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  AccessUnitDelimiter: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  Filler: 12,
  SpsExtension: 13,
  PrefixNal: 14,
  SubsetSps: 15,
} as const;

/**
 * One NAL unit as found in the Annex B byte stream: `data` starts with the NAL header byte and ends
 * with the last payload byte; the start code and any trailing zero bytes are not included, and the
 * emulation-prevention bytes (00 00 03) are left in place, as MKV/avcC want them.
 */
export interface NalUnit {
  /** nal_unit_type, 0..31. */
  readonly type: number;
  /** nal_ref_idc, 0..3. */
  readonly refIdc: number;
  readonly data: Uint8Array;
  /** 4 when the start code had a leading zero_byte (00 00 00 01), else 3. */
  readonly startCodeLength: 3 | 4;
}

export function makeNalUnit(data: Uint8Array, startCodeLength: 3 | 4): NalUnit {
  const header = data[0] ?? 0;
  return { type: header & 0x1f, refIdc: (header >> 5) & 0x03, data, startCodeLength };
}

/** Slices of a coded picture (the VCL NAL units that access-unit grouping looks at). */
export function isVclSlice(type: number): boolean {
  return type >= NalType.NonIdrSlice && type <= NalType.IdrSlice;
}

/**
 * For a slice NAL: whether first_mb_in_slice is 0, i.e. the slice starts a new picture. ue(v) = 0 is
 * the single bit '1', so the top bit of the first byte after the header decides; emulation prevention
 * cannot touch that byte because it needs two zero bytes in front of it.
 */
export function startsNewPicture(nal: NalUnit): boolean {
  const first = nal.data[1];
  return first !== undefined && (first & 0x80) !== 0;
}

/**
 * Whether a slice NAL is a B slice (slice_type 1 or 6, clause 7.4.3). Only the first bytes are read:
 * first_mb_in_slice and slice_type are the first two codes of the slice header.
 */
export function isBSlice(nal: NalUnit): boolean {
  try {
    const r = new BitReader(unescapeRbsp(nal.data.subarray(0, 16)), 'H264_INVALID_SLICE', 1);
    r.readUE(); // first_mb_in_slice
    return r.readUE() % 5 === 1;
  } catch {
    return false; // a slice too short to say is not worth failing the stream for
  }
}
