/**
 * A small JSON reader that keeps numbers as their source text. Why: an ACK's FragmentNumber is a ~47-digit
 * decimal; if a server ever sends it unquoted, JSON.parse would silently round it, and a rounded fragment
 * number names a different fragment. Node 20 has no JSON.parse source access, so we read ACKs ourselves
 * (they are at most a few hundred bytes). Duplicate keys are an error, as in PIC's AckParser.
 */

/** A JSON number, exactly as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly duplicateKey = false,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 32;

export function parseLosslessJson(text: string): JsonValue {
  let at = 0;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${at}`, at);
  };
  const skipWhitespace = (): void => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      at += 1;
    }
  };

  const readString = (): string => {
    // at points at the opening quote.
    let out = '';
    at += 1;
    let runStart = at;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(runStart, at);
        at += 1;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(runStart, at);
        const e = text[at + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          at += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
          at += 6;
        } else {
          fail('bad escape');
        }
        runStart = at;
        continue;
      }
      at += 1;
    }
    return fail('unterminated string');
  };

  const readValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWhitespace();
    const c = text[at];
    if (c === '{') {
      at += 1;
      const obj: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
      skipWhitespace();
      if (text[at] === '}') {
        at += 1;
        return obj;
      }
      for (;;) {
        skipWhitespace();
        if (text[at] !== '"') fail('expected a key');
        const keyAt = at;
        const key = readString();
        if (Object.prototype.hasOwnProperty.call(obj, key)) throw new JsonSyntaxError(`duplicate key "${key}"`, keyAt, true);
        skipWhitespace();
        if (text[at] !== ':') fail('expected ":"');
        at += 1;
        obj[key] = readValue(depth + 1);
        skipWhitespace();
        if (text[at] === ',') {
          at += 1;
          continue;
        }
        if (text[at] === '}') {
          at += 1;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at += 1;
      const arr: JsonValue[] = [];
      skipWhitespace();
      if (text[at] === ']') {
        at += 1;
        return arr;
      }
      for (;;) {
        arr.push(readValue(depth + 1));
        skipWhitespace();
        if (text[at] === ',') {
          at += 1;
          continue;
        }
        if (text[at] === ']') {
          at += 1;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return readString();
    if (text.startsWith('true', at)) {
      at += 4;
      return true;
    }
    if (text.startsWith('false', at)) {
      at += 5;
      return false;
    }
    if (text.startsWith('null', at)) {
      at += 4;
      return null;
    }
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (m === null) return fail('unexpected character');
    at += m[0].length;
    return new JsonNumber(m[0]);
  };

  const value = readValue(0);
  skipWhitespace();
  if (at !== text.length) fail('trailing characters');
  return value;
}
