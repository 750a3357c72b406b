/**
 * A minimal protocol-buffers wire-format reader: enough for the KPL's AggregatedRecord (varints and
 * length-delimited fields). Throws ProtobufError on anything malformed; callers decide what that means.
 */
export class ProtobufError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export class ProtobufReader {
  private at: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.at = start;
  }

  get done(): boolean {
    return this.at >= this.end;
  }

  /** Reads a field key: `[fieldNumber, wireType]`. */
  key(): [number, number] {
    const k = this.varint();
    const field = Math.floor(k / 8);
    if (field === 0) throw new ProtobufError('field number 0 is not allowed');
    return [field, k % 8];
  }

  /** Reads a varint as a Number; values above 2^53 are rejected rather than silently rounded. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.at++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new ProtobufError('varint too large');
        return result;
      }
      scale *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** A length-delimited field's bytes, as a view into the buffer. */
  bytes(): Uint8Array {
    const length = this.varint();
    if (length > this.end - this.at) throw new ProtobufError('length-delimited field runs past the end');
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.at) throw new ProtobufError('fixed-width field runs past the end');
    this.at += n;
  }
}
