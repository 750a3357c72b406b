import { H264Error } from './errors.js';

/**
 * Removes emulation-prevention bytes (the 03 in 00 00 03) so syntax elements can be read bit by bit.
 * Returns the input itself when there is nothing to remove, which is the common case for SPS/PPS.
 */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let first = -1;
  for (let i = 2; i < nal.length; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  out.set(nal.subarray(0, first), 0);
  let w = first;
  let zeros = 0;
  for (let i = first + 1; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[w++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, w);
}

/** Reads bits MSB first from an RBSP (already unescaped), with Exp-Golomb codes (H.264 clause 9.1). */
export class BitReader {
  private bitPos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly errorCode: string,
    startByte = 0,
  ) {
    this.bitPos = startByte * 8;
  }

  get bitsLeft(): number {
    return this.bytes.length * 8 - this.bitPos;
  }

  readBit(): number {
    const byte = this.bytes[this.bitPos >> 3];
    if (byte === undefined) {
      throw new H264Error(this.errorCode, `ran out of data at bit ${this.bitPos} (${this.bytes.length} bytes); the NAL unit is truncated or not what its header says`);
    }
    const bit = (byte >> (7 - (this.bitPos & 7))) & 1;
    this.bitPos++;
    return bit;
  }

  /** Up to 32 bits as an unsigned number (multiplication, not shifts, so bit 31 does not turn it negative). */
  readBits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.readBit();
    return value;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  skipBits(count: number): void {
    if (count > this.bitsLeft) this.readBits(this.bitsLeft + 1); // throws with the usual message
    this.bitPos += count;
  }

  /** ue(v). More than 31 leading zeros cannot occur in a valid stream and would overflow. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      zeros++;
      if (zeros > 31) throw new H264Error(this.errorCode, `Exp-Golomb code with more than 31 leading zeros at bit ${this.bitPos}; the data is corrupt`);
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** se(v). */
  readSE(): number {
    const k = this.readUE();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
