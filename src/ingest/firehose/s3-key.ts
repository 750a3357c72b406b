/**
 * S3 object keys as Firehose writes them (s3-object-name.html, s3-prefixes.html):
 * `<evaluated prefix><stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`, all times UTC, the timestamp being
 * the arrival of the oldest record in the object. Custom prefixes may hold `!{timestamp:<Java DateTimeFormatter>}`,
 * `!{firehose:random-string}` and (error prefix only) `!{firehose:error-output-type}`.
 */
import type { Rng } from '../../core/clock.js';

export type ErrorOutputType = 'processing-failed' | 'http-endpoint-failed';

type Piece =
  | { kind: 'literal'; text: string }
  | { kind: 'timestamp'; format: FormatToken[] }
  | { kind: 'random' }
  | { kind: 'error-type' };

type FormatToken = { literal: string } | { field: 'y' | 'u' | 'M' | 'd' | 'H' | 'm' | 's' | 'S' | 'D'; width: number };

export class PrefixSyntaxError extends Error {}

const EXPRESSION = /!\{([^}:]*):([^}]*)\}/g;

/** Parses a Prefix / ErrorOutputPrefix; throws PrefixSyntaxError with a message that says what to change. */
export function parsePrefix(prefix: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const m of prefix.matchAll(EXPRESSION)) {
    const literal = prefix.slice(at, m.index);
    if (literal.includes('!{')) throw new PrefixSyntaxError(`The sequence '!{' may only start a !{namespace:value} expression in '${prefix}'.`);
    if (literal) pieces.push({ kind: 'literal', text: literal });
    const [, namespace, value] = m as unknown as [string, string, string];
    if (namespace === 'timestamp') pieces.push({ kind: 'timestamp', format: parseDateTimeFormat(value) });
    else if (namespace === 'firehose' && value === 'random-string') pieces.push({ kind: 'random' });
    else if (namespace === 'firehose' && value === 'error-output-type') pieces.push({ kind: 'error-type' });
    else if (namespace === 'firehose') throw new PrefixSyntaxError(`Unknown firehose expression '!{firehose:${value}}'; use random-string or error-output-type.`);
    else throw new PrefixSyntaxError(`Unsupported expression namespace '${namespace}' in '!{${namespace}:${value}}'; kedge evaluates the timestamp and firehose namespaces (no dynamic partitioning).`);
    at = m.index + m[0].length;
  }
  const tail = prefix.slice(at);
  if (tail.includes('!{')) throw new PrefixSyntaxError(`The sequence '!{' may only start a !{namespace:value} expression in '${prefix}'.`);
  if (tail) pieces.push({ kind: 'literal', text: tail });
  return pieces;
}

export const hasExpressions = (pieces: readonly Piece[]): boolean => pieces.some((p) => p.kind !== 'literal');
export const hasTimestamp = (pieces: readonly Piece[]): boolean => pieces.some((p) => p.kind === 'timestamp');
export const hasErrorType = (pieces: readonly Piece[]): boolean => pieces.some((p) => p.kind === 'error-type');

const FIELD_LETTERS = new Set(['y', 'u', 'M', 'd', 'H', 'm', 's', 'S', 'D']);

/** The subset of java.time.format.DateTimeFormatter patterns that make sense in a key: numbers and quoted text. */
function parseDateTimeFormat(pattern: string): FormatToken[] {
  const tokens: FormatToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new PrefixSyntaxError(`Unterminated quote in timestamp format '${pattern}'.`);
      tokens.push({ literal: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!FIELD_LETTERS.has(c)) {
        throw new PrefixSyntaxError(`Timestamp format letter '${c}' in '${pattern}' is not supported; use y, u, M, d, D, H, m, s, S or quote literal text.`);
      }
      let width = 1;
      while (pattern[i + width] === c) width++;
      tokens.push({ field: c as 'y', width });
      i += width;
    } else {
      tokens.push({ literal: c });
      i++;
    }
  }
  return tokens;
}

function formatTimestamp(tokens: readonly FormatToken[], ms: number): string {
  const d = new Date(ms);
  let out = '';
  for (const t of tokens) {
    if ('literal' in t) {
      out += t.literal;
      continue;
    }
    let value: number;
    switch (t.field) {
      case 'y':
      case 'u':
        value = d.getUTCFullYear();
        if (t.width === 2) {
          out += String(value % 100).padStart(2, '0');
          continue;
        }
        break;
      case 'M':
        value = d.getUTCMonth() + 1;
        break;
      case 'd':
        value = d.getUTCDate();
        break;
      case 'D':
        value = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
        break;
      case 'H':
        value = d.getUTCHours();
        break;
      case 'm':
        value = d.getUTCMinutes();
        break;
      case 's':
        value = d.getUTCSeconds();
        break;
      case 'S':
        // Fraction of second: S = tenths, SS = hundredths, SSS = millis.
        out += String(d.getUTCMilliseconds()).padStart(3, '0').slice(0, t.width).padEnd(t.width, '0');
        continue;
    }
    out += String(value).padStart(t.width, '0');
  }
  return out;
}

const DEFAULT_TIME_FORMAT = parseDateTimeFormat('yyyy/MM/dd/HH/');

export interface KeyContext {
  /** Arrival (ms) of the oldest record in the object. */
  readonly oldestArrival: number;
  readonly rng: Rng;
}

function evaluate(pieces: readonly Piece[], ctx: KeyContext, errorType: ErrorOutputType | undefined): string {
  let out = '';
  for (const p of pieces) {
    if (p.kind === 'literal') out += p.text;
    else if (p.kind === 'timestamp') out += formatTimestamp(p.format, ctx.oldestArrival);
    else if (p.kind === 'random') out += uuidFrom(ctx.rng).slice(0, 11);
    else out += errorType ?? '';
  }
  return out;
}

/** The evaluated prefix of a delivered object; with no timestamp expression Firehose appends `yyyy/MM/dd/HH/`. */
export function dataPrefix(prefix: readonly Piece[], ctx: KeyContext): string {
  const head = evaluate(prefix, ctx, undefined);
  return hasTimestamp(prefix) ? head : head + formatTimestamp(DEFAULT_TIME_FORMAT, ctx.oldestArrival);
}

/**
 * The evaluated prefix of an error object. Without an ErrorOutputPrefix it is `<Prefix><error-output-type>/YYYY/MM/dd/HH/`
 * (validation guarantees Prefix then has no expressions); a literal ErrorOutputPrefix gets the same tail.
 */
export function errorPrefix(prefix: readonly Piece[], errorOutputPrefix: readonly Piece[] | undefined, type: ErrorOutputType, ctx: KeyContext): string {
  if (!errorOutputPrefix || !hasExpressions(errorOutputPrefix)) {
    const head = evaluate(errorOutputPrefix ?? prefix, ctx, type);
    return `${head}${type}/${formatTimestamp(DEFAULT_TIME_FORMAT, ctx.oldestArrival)}`;
  }
  const head = evaluate(errorOutputPrefix, ctx, type);
  return hasTimestamp(errorOutputPrefix) ? head : head + formatTimestamp(DEFAULT_TIME_FORMAT, ctx.oldestArrival);
}

/** `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>` */
export function objectName(streamName: string, version: number, ctx: KeyContext, extension: string): string {
  const d = new Date(ctx.oldestArrival);
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCHours())}-${two(d.getUTCMinutes())}-${two(d.getUTCSeconds())}`;
  return `${streamName}-${version}-${stamp}-${uuidFrom(ctx.rng)}${extension}`;
}

/** A version-4 UUID from the injected RNG, so keys are reproducible in tests. */
export function uuidFrom(rng: Rng): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(rng.next() * 256) & 0xff;
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type ParsedPrefix = Piece[];
