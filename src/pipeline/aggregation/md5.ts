/**
 * MD5 (RFC 1321) for partition keys, the one hash kedge computes per record on its hot paths (the
 * producer's routing and aggregation, the ingest target's PutRecords), and node:crypto's for bulk bytes.
 *
 * Why plain JavaScript for keys: every native hash call pays a fixed cost (a Hash object or context,
 * the crossing into C++) that dwarfs the work for a 10-50 byte key. Measured (CPU time per key, one
 * process per variant): 0.2-0.3 µs here against 1-2 µs for `crypto.hash('md5', key)`. Checked against
 * node:crypto for every one-block length, block boundaries, multi-block, non-ASCII and random keys
 * (test/unit/pipeline/aggregation/md5.test.ts).
 */
import * as crypto from 'node:crypto';

/** The longest input one MD5 block holds: 64 bytes less the 0x80 pad byte and the 8-byte length. */
export const MD5_SHORT_MAX_BYTES = 55;

// A block is 16 little-endian words; the chaining value A B C D is a separate Int32Array(4).
// Two arrays rather than one of 20 words: V8 keeps typed arrays of up to 64 bytes on the heap, and a
// larger one gets an off-heap store (measured: 0.32 µs to allocate an Int32Array(20), 0.02 µs for 16).
const BLOCK_WORDS = 16;
const CHAIN_WORDS = 4;

// crypto.hash (Node >= 20.12) is a one-shot digest with no Hash object: about twice as fast for the
// short inputs partition keys are. Fall back for older Node 20 releases. Chosen once, never mutated.
/** MD5 digest (16 bytes) of a string's UTF-8 bytes or of raw bytes, by node:crypto: for bulk data. */
export const md5: (data: string | Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('md5', data, 'buffer')
    : (data) => crypto.createHash('md5').update(data).digest();

/**
 * The MD5 digest of `text` if it is ASCII and at most 55 characters (one block), else undefined:
 * the caller then uses {@link md5}. Allocates its result; see {@link Md5} for an allocation-free form.
 */
export function md5OfShortAscii(text: string): Buffer | undefined {
  const block = new Int32Array(BLOCK_WORDS);
  if (!packShortAscii(text, block)) return undefined;
  const chain = new Int32Array(CHAIN_WORDS);
  startChain(chain);
  compress(block, chain);
  const digest = Buffer.allocUnsafe(16);
  writeDigest(chain, digest);
  return digest;
}

/**
 * MD5 of any string's UTF-8 bytes into a caller's 16-byte buffer, allocating nothing: scratch space
 * for one single-threaded caller (one per owner, never shared through module state).
 */
export class Md5 {
  // 256 UTF-16 units (Kinesis's longest partition key) are at most 768 UTF-8 bytes; longer inputs grow it once.
  private bytes = Buffer.alloc(1024 + 72);
  private readonly block = new Int32Array(BLOCK_WORDS);
  private readonly chain = new Int32Array(CHAIN_WORDS);

  /** Writes MD5(UTF-8 of `text`) into `out[0..16)`. */
  digestUtf8(text: string, out: Uint8Array): void {
    const block = this.block;
    const chain = this.chain;
    block.fill(0);
    startChain(chain);
    // Short ASCII keys (nearly all) go straight into the block, skipping the byte buffer.
    if (packShortAscii(text, block)) compress(block, chain);
    else this.compressUtf8(text);
    writeDigest(chain, out);
  }

  /** Runs every block of the padded UTF-8 bytes of `text` through {@link compress}. */
  private compressUtf8(text: string): void {
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
    // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit little-endian number.
    let end = length;
    bytes[end++] = 0x80;
    while (end % 64 !== 56) bytes[end++] = 0;
    const bits = length * 8;
    bytes.writeUInt32LE(bits >>> 0, end);
    bytes.writeUInt32LE(Math.floor(bits / 2 ** 32), end + 4);
    end += 8;

    const block = this.block;
    for (let at = 0; at < end; at += 64) {
      for (let j = 0; j < 16; j++) {
        const o = at + j * 4;
        block[j] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
      }
      compress(block, this.chain);
    }
  }
}

/**
 * Writes `text` as one padded block into `block` (which must be all zero) if it is ASCII and fits one
 * block: the bytes, 0x80, zeros, the bit length. False otherwise (the block is then garbage).
 */
function packShortAscii(text: string, block: Int32Array): boolean {
  const length = text.length;
  if (length > MD5_SHORT_MAX_BYTES) return false;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return false;
    block[i >> 2]! |= code << ((i & 3) << 3);
  }
  block[length >> 2]! |= 0x80 << ((length & 3) << 3);
  block[14] = length << 3;
  return true;
}

function startChain(chain: Int32Array): void {
  chain[0] = 0x67452301;
  chain[1] = 0xefcdab89;
  chain[2] = 0x98badcfe;
  chain[3] = 0x10325476;
}

/** The digest is the chaining value's four words, little-endian. */
function writeDigest(chain: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 4; i++) {
    const v = chain[i]!;
    out[i * 4] = v & 0xff;
    out[i * 4 + 1] = (v >>> 8) & 0xff;
    out[i * 4 + 2] = (v >>> 16) & 0xff;
    out[i * 4 + 3] = (v >>> 24) & 0xff;
  }
}

/** One MD5 compression: folds the 16-word `block` into `chain`. */
function compress(block: Int32Array, chain: Int32Array): void {
  const m0 = block[0]!;
  const m1 = block[1]!;
  const m2 = block[2]!;
  const m3 = block[3]!;
  const m4 = block[4]!;
  const m5 = block[5]!;
  const m6 = block[6]!;
  const m7 = block[7]!;
  const m8 = block[8]!;
  const m9 = block[9]!;
  const m10 = block[10]!;
  const m11 = block[11]!;
  const m12 = block[12]!;
  const m13 = block[13]!;
  const m14 = block[14]!;
  const m15 = block[15]!;
  let a = chain[0]!;
  let b = chain[1]!;
  let c = chain[2]!;
  let d = chain[3]!;

  // Each step is RFC 1321's  a = b + ((a + F(b, c, d) + X[k] + T[i]) <<< s)  with the register
  // roles rotating; written out because V8 will not inline 64 helper calls into one function
  // (measured: twice as slow as the plain form).
  // Round 1: F(b, c, d) = (b & c) | (~b & d)
  a = (a + ((b & c) | (~b & d)) + m0 + 0xd76aa478) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + m1 + 0xe8c7b756) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + m2 + 0x242070db) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + m3 + 0xc1bdceee) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + m4 + 0xf57c0faf) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + m5 + 0x4787c62a) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + m6 + 0xa8304613) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + m7 + 0xfd469501) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + m8 + 0x698098d8) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + m9 + 0x8b44f7af) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + m10 + 0xffff5bb1) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + m11 + 0x895cd7be) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;
  a = (a + ((b & c) | (~b & d)) + m12 + 0x6b901122) | 0;
  a = (((a << 7) | (a >>> 25)) + b) | 0;
  d = (d + ((a & b) | (~a & c)) + m13 + 0xfd987193) | 0;
  d = (((d << 12) | (d >>> 20)) + a) | 0;
  c = (c + ((d & a) | (~d & b)) + m14 + 0xa679438e) | 0;
  c = (((c << 17) | (c >>> 15)) + d) | 0;
  b = (b + ((c & d) | (~c & a)) + m15 + 0x49b40821) | 0;
  b = (((b << 22) | (b >>> 10)) + c) | 0;

  // Round 2: G(b, c, d) = (b & d) | (c & ~d)
  a = (a + ((b & d) | (c & ~d)) + m1 + 0xf61e2562) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + m6 + 0xc040b340) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + m11 + 0x265e5a51) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + m0 + 0xe9b6c7aa) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + m5 + 0xd62f105d) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + m10 + 0x02441453) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + m15 + 0xd8a1e681) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + m4 + 0xe7d3fbc8) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + m9 + 0x21e1cde6) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + m14 + 0xc33707d6) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + m3 + 0xf4d50d87) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + m8 + 0x455a14ed) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;
  a = (a + ((b & d) | (c & ~d)) + m13 + 0xa9e3e905) | 0;
  a = (((a << 5) | (a >>> 27)) + b) | 0;
  d = (d + ((a & c) | (b & ~c)) + m2 + 0xfcefa3f8) | 0;
  d = (((d << 9) | (d >>> 23)) + a) | 0;
  c = (c + ((d & b) | (a & ~b)) + m7 + 0x676f02d9) | 0;
  c = (((c << 14) | (c >>> 18)) + d) | 0;
  b = (b + ((c & a) | (d & ~a)) + m12 + 0x8d2a4c8a) | 0;
  b = (((b << 20) | (b >>> 12)) + c) | 0;

  // Round 3: H(b, c, d) = b ^ c ^ d
  a = (a + (b ^ c ^ d) + m5 + 0xfffa3942) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + m8 + 0x8771f681) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + m11 + 0x6d9d6122) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + m14 + 0xfde5380c) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + m1 + 0xa4beea44) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + m4 + 0x4bdecfa9) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + m7 + 0xf6bb4b60) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + m10 + 0xbebfbc70) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + m13 + 0x289b7ec6) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + m0 + 0xeaa127fa) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + m3 + 0xd4ef3085) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + m6 + 0x04881d05) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;
  a = (a + (b ^ c ^ d) + m9 + 0xd9d4d039) | 0;
  a = (((a << 4) | (a >>> 28)) + b) | 0;
  d = (d + (a ^ b ^ c) + m12 + 0xe6db99e5) | 0;
  d = (((d << 11) | (d >>> 21)) + a) | 0;
  c = (c + (d ^ a ^ b) + m15 + 0x1fa27cf8) | 0;
  c = (((c << 16) | (c >>> 16)) + d) | 0;
  b = (b + (c ^ d ^ a) + m2 + 0xc4ac5665) | 0;
  b = (((b << 23) | (b >>> 9)) + c) | 0;

  // Round 4: I(b, c, d) = c ^ (b | ~d)
  a = (a + (c ^ (b | ~d)) + m0 + 0xf4292244) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + m7 + 0x432aff97) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + m14 + 0xab9423a7) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + m5 + 0xfc93a039) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + m12 + 0x655b59c3) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + m3 + 0x8f0ccc92) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + m10 + 0xffeff47d) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + m1 + 0x85845dd1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + m8 + 0x6fa87e4f) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + m15 + 0xfe2ce6e0) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + m6 + 0xa3014314) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + m13 + 0x4e0811a1) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;
  a = (a + (c ^ (b | ~d)) + m4 + 0xf7537e82) | 0;
  a = (((a << 6) | (a >>> 26)) + b) | 0;
  d = (d + (b ^ (a | ~c)) + m11 + 0xbd3af235) | 0;
  d = (((d << 10) | (d >>> 22)) + a) | 0;
  c = (c + (a ^ (d | ~b)) + m2 + 0x2ad7d2bb) | 0;
  c = (((c << 15) | (c >>> 17)) + d) | 0;
  b = (b + (d ^ (c | ~a)) + m9 + 0xeb86d391) | 0;
  b = (((b << 21) | (b >>> 11)) + c) | 0;

  chain[0] = (chain[0]! + a) | 0;
  chain[1] = (chain[1]! + b) | 0;
  chain[2] = (chain[2]! + c) | 0;
  chain[3] = (chain[3]! + d) | 0;
}
