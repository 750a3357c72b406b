import { NalType, type NalUnit } from './nal.js';

/**
 * Which NAL units of an access unit go into an MKV block. The default keeps every NAL unit, as the KVS
 * reference producer does (its Annex B -> AVCC adaptation only replaces start codes by lengths, kvs.md
 * §2.3); in-band SPS/PPS then also make each fragment decodable without CodecPrivate.
 */
export interface LengthPrefixOptions {
  /** Drop AUDs (type 9); MKV needs no delimiter. Default false. */
  readonly dropAccessUnitDelimiters?: boolean;
  /** Drop in-band SPS/PPS copies (types 7, 8), which CodecPrivate already carries. Default false. */
  readonly dropParameterSets?: boolean;
}

/** Bytes a block needs, written on demand: lets the MKV writer place them without an extra copy. */
export interface BlockPayload {
  readonly byteLength: number;
  /** Writes the payload at `offset` and returns the offset after it. */
  writeTo(target: Uint8Array, offset: number): number;
}

/** The NAL units of an access unit as 4-byte big-endian length + NAL unit, ready for a SimpleBlock. */
export function lengthPrefixedPayload(nalUnits: readonly NalUnit[], options: LengthPrefixOptions = {}): BlockPayload {
  const kept = nalUnits.filter((n) => keepNal(n.type, options));
  return {
    byteLength: lengthPrefixedBytes(kept),
    writeTo: (target: Uint8Array, offset: number): number => writeLengthPrefixed(target, offset, kept),
  };
}

/** Bytes {@link writeLengthPrefixed} writes for these NAL units. */
export function lengthPrefixedBytes(nalUnits: readonly NalUnit[]): number {
  let byteLength = 0;
  for (const n of nalUnits) byteLength += 4 + n.data.length;
  return byteLength;
}

/** Writes every NAL unit as a 4-byte big-endian length and its bytes at `offset`; returns the offset after them. */
export function writeLengthPrefixed(target: Uint8Array, offset: number, nalUnits: readonly NalUnit[]): number {
  let p = offset;
  for (const n of nalUnits) {
    const len = n.data.length;
    target[p] = len >>> 24;
    target[p + 1] = (len >>> 16) & 0xff;
    target[p + 2] = (len >>> 8) & 0xff;
    target[p + 3] = len & 0xff;
    target.set(n.data, p + 4);
    p += 4 + len;
  }
  return p;
}

/** The same, as one new buffer. */
export function toLengthPrefixed(nalUnits: readonly NalUnit[], options: LengthPrefixOptions = {}): Uint8Array {
  const payload = lengthPrefixedPayload(nalUnits, options);
  const out = new Uint8Array(payload.byteLength);
  payload.writeTo(out, 0);
  return out;
}

function keepNal(type: number, options: LengthPrefixOptions): boolean {
  if (type === NalType.AccessUnitDelimiter) return !options.dropAccessUnitDelimiters;
  if (type === NalType.Sps || type === NalType.Pps) return !options.dropParameterSets;
  return true;
}
