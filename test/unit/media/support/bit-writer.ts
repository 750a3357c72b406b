/** Writes H.264 syntax elements, to build parameter sets whose every field a test chooses. */
export class BitWriter {
  private readonly bits: number[] = [];

  u(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  flag(on: boolean): this {
    return this.u(on ? 1 : 0, 1);
  }

  ue(value: number): this {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.u(0, len);
    return this.u(v, len + 1);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Header byte + RBSP with trailing bits, with emulation-prevention bytes inserted. */
  toNal(header: number): Uint8Array {
    const bits = [...this.bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const rbsp: number[] = [];
    for (let i = 0; i < bits.length; i += 8) rbsp.push(bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
    const out = [header];
    let zeros = 0;
    for (const b of rbsp) {
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}
