/**
 * MD5 (RFC 1321) of a string's UTF-8 bytes, written into a caller's 16-byte buffer.
 *
 * Why not `crypto.createHash('md5')`: routing a partition key is per record on the PutRecords hot path, and
 * for keys of a few dozen bytes the native call costs several microseconds in object creation and the
 * JS/C++ crossing (it was the largest single cost of PutRecords in a profile); this runs in well under one and
 * allocates nothing. Results are checked against `node:crypto` in the unit tests.
 */
const SHIFTS = Int32Array.from([7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]);
const SINES = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/** Scratch space for MD5 of a UTF-8 string; one per caller (not shared across modules, no module state). */
export class Md5 {
  // 256 UTF-16 units are at most 768 UTF-8 bytes; longer inputs grow the buffer once.
  private bytes = Buffer.alloc(1024 + 72);
  private readonly words = new Int32Array(16);

  /** Writes MD5(UTF-8 of `text`) into `out[0..16)`. */
  digestUtf8(text: string, out: Uint8Array): void {
    let length = text.length;
    let bytes = this.bytes;
    let ascii = true;
    if (length + 72 <= bytes.length) {
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        bytes[i] = c;
      }
    } else {
      ascii = false;
    }
    if (!ascii) {
      const needed = Buffer.byteLength(text, 'utf8') + 72;
      if (needed > bytes.length) this.bytes = bytes = Buffer.alloc(needed * 2);
      length = bytes.write(text, 0, 'utf8');
    }
    this.digest(length, out);
  }

  /** MD5 of `this.bytes[0..length)`, padding in place. */
  private digest(length: number, out: Uint8Array): void {
    const bytes = this.bytes;
    const words = this.words;
    // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit little-endian number.
    let end = length;
    bytes[end++] = 0x80;
    while (end % 64 !== 56) bytes[end++] = 0;
    const bits = length * 8;
    bytes[end++] = bits & 0xff;
    bytes[end++] = (bits >>> 8) & 0xff;
    bytes[end++] = (bits >>> 16) & 0xff;
    bytes[end++] = (bits >>> 24) & 0xff;
    const high = Math.floor(bits / 2 ** 32);
    bytes[end++] = high & 0xff;
    bytes[end++] = (high >>> 8) & 0xff;
    bytes[end++] = (high >>> 16) & 0xff;
    bytes[end++] = (high >>> 24) & 0xff;

    let h0 = 0x67452301;
    let h1 = 0xefcdab89 | 0;
    let h2 = 0x98badcfe | 0;
    let h3 = 0x10325476;
    for (let block = 0; block < end; block += 64) {
      for (let j = 0; j < 16; j++) {
        const o = block + j * 4;
        words[j] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
      }
      let a = h0;
      let b = h1;
      let c = h2;
      let d = h3;
      for (let i = 0; i < 64; i++) {
        let f: number;
        let g: number;
        if (i < 16) {
          f = (b & c) | (~b & d);
          g = i;
        } else if (i < 32) {
          f = (d & b) | (~d & c);
          g = (5 * i + 1) & 15;
        } else if (i < 48) {
          f = b ^ c ^ d;
          g = (3 * i + 5) & 15;
        } else {
          f = c ^ (b | ~d);
          g = (7 * i) & 15;
        }
        const x = (a + f + SINES[i]! + words[g]!) | 0;
        const s = SHIFTS[((i >> 4) << 2) | (i & 3)]!;
        a = d;
        d = c;
        c = b;
        b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
      }
      h0 = (h0 + a) | 0;
      h1 = (h1 + b) | 0;
      h2 = (h2 + c) | 0;
      h3 = (h3 + d) | 0;
    }
    writeLE(out, 0, h0);
    writeLE(out, 4, h1);
    writeLE(out, 8, h2);
    writeLE(out, 12, h3);
  }
}

function writeLE(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
