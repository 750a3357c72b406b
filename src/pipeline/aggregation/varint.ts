/**
 * Protobuf base-128 varints for the aggregation codec: just what AggregatedRecord needs, no
 * protobuf dependency. Values are JavaScript numbers; every value we write (lengths, table indices)
 * is far below 2^53.
 */

/** Bytes a varint takes for a non-negative integer. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  let size = 5;
  // Past 28 bits, bit operators would truncate to 32 bits: divide instead.
  for (let rest = Math.floor(value / 0x8_0000_0000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Writes `value` at `offset` and returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  if (value < 0x8000_0000) {
    // Fast path for values that fit in 31 bits (all lengths and indices in practice).
    while (value >= 0x80) {
      target[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    target[offset++] = value;
    return offset;
  }
  while (value >= 0x80) {
    target[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  target[offset++] = value;
  return offset;
}
