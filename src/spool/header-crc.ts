/**
 * CRC-32 (zlib's polynomial, same values as `zlib.crc32`) over a short byte range, in JavaScript.
 * Every entry's 20-byte header is checksummed once when written and once when read: for so few
 * bytes the native call's own overhead (argument checks, a subarray view per call) costs ~4x the
 * table loop, and it ran twice per record on the producer's hot path. Payloads keep zlib.crc32,
 * which wins from ~100 bytes up.
 */
const TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** zlib.crc32(buf.subarray(start, end)), without the view. */
export function crc32Range(buf: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
