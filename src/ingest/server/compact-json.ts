/**
 * JSON.parse for large request bodies without first turning the whole body into one string.
 *
 * A PutRecords body is ~700 KiB of JSON; `JSON.parse(body.toString())` first builds a 700 KiB string, which V8
 * places in fresh large-object pages (page faults on every request, then old-generation GC work), and it cost
 * more than the parse itself. The bodies AWS SDKs send are compact JSON of objects, arrays and plain ASCII
 * strings, so they are parsed here straight from the bytes: each string is cut out with one memchr for its
 * closing quote, and only the small strings that end up in the result are ever allocated.
 *
 * Anything outside that subset — numbers, true/false/null, escapes, non-ASCII or control bytes, duplicate keys,
 * `__proto__`, deep nesting, invalid JSON of any kind — returns `undefined`, and the caller falls back to
 * JSON.parse. So when this returns a value, it is exactly the value JSON.parse would have returned.
 */
import { isAscii } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** Deeper than any AWS request shape; recursion stays far from the stack limit. */
const MAX_DEPTH = 32;

/** Returned by the parser's steps on anything it does not handle; never escapes this module. */
const UNHANDLED = Symbol('unhandled');
type Parsed = unknown;

/**
 * The value of `body` as JSON.parse(body.toString('utf8')) would give it, or undefined when the body is not
 * compact ASCII JSON of objects, arrays and plain strings (then the caller must use JSON.parse).
 */
export function parseCompactJson(body: Buffer): unknown {
  // Two whole-body checks that make every string a plain run of bytes between two quotes: ASCII only (one SIMD
  // pass) and no escapes (one memchr). Raw control bytes, invalid inside JSON strings, are looked for per
  // string, while its bytes are still in cache from finding its end.
  if (!isAscii(body) || body.indexOf(BACKSLASH) !== -1) return undefined;
  const parser = new CompactParser(body);
  const value = parser.value(0);
  if (value === UNHANDLED || parser.skipSpaces() !== body.length) return undefined;
  return value;
}

class CompactParser {
  at = 0;
  /** The body's 4-byte-aligned middle as words, for the control-byte check; `wordBase` is its first byte. */
  private readonly words: Uint32Array;
  private readonly wordBase: number;

  constructor(private readonly b: Buffer) {
    const misaligned = (4 - (b.byteOffset & 3)) & 3;
    this.wordBase = Math.min(misaligned, b.length);
    this.words = new Uint32Array(b.buffer, b.byteOffset + this.wordBase, (b.length - this.wordBase) >>> 2);
  }

  /** Whether any byte in [start, end) is below 0x20; the body is known to be ASCII. */
  private hasControlByte(start: number, end: number): boolean {
    const b = this.b;
    const firstWord = Math.ceil((start - this.wordBase) / 4);
    const lastWord = Math.min(Math.floor((end - this.wordBase) / 4), this.words.length);
    if (firstWord >= lastWord) {
      for (let i = start; i < end; i++) if (b[i]! < SPACE) return true;
      return false;
    }
    const wordsStart = this.wordBase + firstWord * 4;
    const wordsEnd = this.wordBase + lastWord * 4;
    for (let i = start; i < wordsStart; i++) if (b[i]! < SPACE) return true;
    const words = this.words;
    for (let w = firstWord; w < lastWord; w++) {
      const x = words[w]!;
      // Some byte < 0x20 ("has less than" bit trick; exact for bytes < 0x80, which ASCII guarantees).
      if (((x - 0x20202020) & ~x & 0x80808080) !== 0) return true;
    }
    for (let i = wordsEnd; i < end; i++) if (b[i]! < SPACE) return true;
    return false;
  }

  /** Skips spaces (the only whitespace left once control bytes are excluded); returns the new position. */
  skipSpaces(): number {
    const b = this.b;
    let at = this.at;
    while (b[at] === SPACE) at++;
    this.at = at;
    return at;
  }

  value(depth: number): Parsed {
    const c = this.b[this.skipSpaces()];
    if (c === QUOTE) return this.string();
    if (depth >= MAX_DEPTH) return UNHANDLED;
    if (c === OPEN_BRACE) return this.object(depth + 1);
    if (c === OPEN_BRACKET) return this.array(depth + 1);
    return UNHANDLED;
  }

  /** At an opening quote: the string up to the next quote (no escapes exist, so that is its end). */
  string(): string | typeof UNHANDLED {
    const start = this.at + 1;
    const end = this.b.indexOf(QUOTE, start);
    if (end < 0 || this.hasControlByte(start, end)) return UNHANDLED;
    this.at = end + 1;
    return this.b.toString('latin1', start, end);
  }

  object(depth: number): Parsed {
    const b = this.b;
    this.at++;
    const out: Record<string, unknown> = {};
    if (b[this.skipSpaces()] === CLOSE_BRACE) {
      this.at++;
      return out;
    }
    for (;;) {
      if (b[this.skipSpaces()] !== QUOTE) return UNHANDLED;
      const key = this.string();
      // JSON.parse makes `__proto__` an own property and lets a repeated key win in the first one's place;
      // plain assignment would do neither, so leave both to JSON.parse.
      if (key === UNHANDLED || key === '__proto__' || Object.hasOwn(out, key)) return UNHANDLED;
      if (b[this.skipSpaces()] !== COLON) return UNHANDLED;
      this.at++;
      const value = this.value(depth);
      if (value === UNHANDLED) return UNHANDLED;
      out[key] = value;
      const next = b[this.skipSpaces()];
      this.at++;
      if (next === CLOSE_BRACE) return out;
      if (next !== COMMA) return UNHANDLED;
    }
  }

  array(depth: number): Parsed {
    const b = this.b;
    this.at++;
    const out: unknown[] = [];
    if (b[this.skipSpaces()] === CLOSE_BRACKET) {
      this.at++;
      return out;
    }
    for (;;) {
      const value = this.value(depth);
      if (value === UNHANDLED) return UNHANDLED;
      out.push(value);
      const next = b[this.skipSpaces()];
      this.at++;
      if (next === CLOSE_BRACKET) return out;
      if (next !== COMMA) return UNHANDLED;
    }
  }
}
