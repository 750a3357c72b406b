/**
 * Turns a partition key's bytes (in a spool read buffer) into a string, giving back the same string
 * object every time the same key comes by: devices reuse a few keys for millions of records, and a
 * string decoded per record was garbage the producer made at its highest rate. A hit costs a hash and
 * a compare over the key's bytes, and allocates nothing.
 *
 * Direct-mapped and bounded (a colliding key replaces the slot's), ASCII keys only (their bytes are
 * their char codes, so a remembered string is compared with the bytes directly); anything else is
 * decoded as UTF-8 every time.
 */
/** Two candidate slots per key (2-way): a thousand device keys then rarely evict each other. */
const SLOTS = 8192;
/** Longer keys are rare and would make the compare cost more than the decode it saves. */
const MAX_INTERNED_BYTES = 64;

export class KeyInterner {
  readonly #slots = new Array<string | undefined>(SLOTS).fill(undefined);

  /** The UTF-8 string of `buf[start, end)`. */
  intern(buf: Uint8Array, start: number, end: number): string {
    const length = end - start;
    if (length > MAX_INTERNED_BYTES) return decode(buf, start, end);
    // FNV-1a over the bytes, noting any non-ASCII byte on the way.
    let hash = 0x811c9dc5;
    let high = 0;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      high |= b;
      hash = Math.imul(hash ^ b, 0x01000193);
    }
    if (high > 0x7f) return decode(buf, start, end);
    const slots = this.#slots;
    const first = (hash >>> 0) & (SLOTS - 1);
    const second = (Math.imul(hash, 0x9e3779b1) >>> 19) & (SLOTS - 1);
    const a = slots[first];
    if (a !== undefined && a.length === length && sameAscii(a, buf, start)) return a;
    const b = slots[second];
    if (b !== undefined && b.length === length && sameAscii(b, buf, start)) return b;
    const key = decode(buf, start, end);
    // An empty slot if there is one, else the second (the first keeps the key that was there first).
    if (a === undefined) slots[first] = key;
    else slots[second] = key;
    return key;
  }
}

function sameAscii(text: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

function decode(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', start, end);
}
