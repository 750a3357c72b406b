/**
 * EBML variable-size integers (RFC 8794 §4): the count of leading zero bits of the first byte gives the
 * length, the remaining bits the value. A size whose value bits are all ones means "unknown size".
 */

/** Largest value a size vint of 8 bytes can hold that is also a safe JS integer. */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/** Unknown size, 1-byte form, as the KVS producer writes for Segment and Cluster. */
export const UNKNOWN_SIZE_BYTE = 0xff;

/** Shortest vint length for a size; all-ones is reserved for "unknown", hence 2^(7n) - 1 exclusive. */
export function sizeVintLength(value: number): number {
  let length = 1;
  let limit = 127; // 2^7 - 1
  while (value >= limit) {
    length++;
    limit = limit * 128 + 127;
    if (length > 8) throw new RangeError(`size ${value} does not fit an 8-byte EBML vint`);
  }
  return length;
}

/** Writes `value` as a size vint of `length` bytes at `offset`; returns the offset after it. */
export function writeSizeVint(target: Uint8Array, offset: number, value: number, length = sizeVintLength(value)): number {
  let v = value;
  for (let i = length - 1; i > 0; i--) {
    target[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
  target[offset] = (0x80 >> (length - 1)) | v;
  return offset + length;
}

/** Writes an element ID (its bytes already carry the marker); returns the offset after it. */
export function writeId(target: Uint8Array, offset: number, id: number): number {
  if (id >= 0x1000000) target[offset++] = id >>> 24;
  if (id >= 0x10000) target[offset++] = (id >>> 16) & 0xff;
  if (id >= 0x100) target[offset++] = (id >>> 8) & 0xff;
  target[offset++] = id & 0xff;
  return offset;
}

/** Bytes needed for an unsigned integer element's payload (at least 1). */
export function uintLength(value: number | bigint): number {
  let v = BigInt(value);
  let n = 1;
  while (v > 0xffn) {
    v >>= 8n;
    n++;
  }
  return n;
}

export function writeUint(target: Uint8Array, offset: number, value: number | bigint, length: number): number {
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    target[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return offset + length;
}
