/**
 * Streaming parser for PutMedia's response body: a series of JSON ACK objects separated by newlines
 * (kvs.md §1.5). Chunk boundaries are arbitrary, so an ACK may be split across chunks and one chunk may
 * hold several ACKs. Like PIC's AckParser it finds objects by counting braces outside strings, so it does
 * not depend on newlines; a malformed object is reported (MALFORMED, with a code) and parsing carries on
 * with the next object.
 *
 * Resynchronisation after damage: an object cannot span a raw newline inside a string (invalid JSON), and
 * the service writes one ACK per line, so a raw newline inside a string, or a '{' that opens a new line
 * while an object is still open, means the open object was cut short; it is reported and the new one
 * parsed. (A pretty-printed nested object starting its own line would be misread; the service never
 * sends one.)
 */
import { JsonNumber, JsonSyntaxError, parseLosslessJson, type JsonValue } from './lossless-json.js';

export type FragmentAckType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED';

export interface FragmentAck {
  readonly type: FragmentAckType;
  /** The cluster Timecode exactly as sent (ms, absolute, in kedge's streams). */
  readonly fragmentTimecode: number;
  /** A decimal string of ~47 digits: never a JS number, which would round it. */
  readonly fragmentNumber?: string;
}

export interface ErrorAck {
  readonly type: 'ERROR';
  readonly errorId: number;
  readonly errorCode?: string;
  /** Absent on some errors (e.g. 4006 INVALID_MKV_DATA). */
  readonly fragmentTimecode?: number;
  readonly fragmentNumber?: string;
}

export interface IdleAck {
  readonly type: 'IDLE';
}

export type Ack = FragmentAck | ErrorAck | IdleAck;

export type MalformedAckCode =
  | 'KVS_ACK_MALFORMED_JSON'
  | 'KVS_ACK_TOO_LONG'
  | 'KVS_ACK_UNKNOWN_EVENT'
  | 'KVS_ACK_MISSING_FIELD'
  | 'KVS_ACK_BAD_FIELD'
  | 'KVS_ACK_DUPLICATE_KEY';

export interface MalformedAck {
  readonly type: 'MALFORMED';
  readonly code: MalformedAckCode;
  readonly message: string;
  /** The offending text, cut to 256 characters. */
  readonly raw: string;
}

export type AckParserOutput = Ack | MalformedAck;

export interface AckParserOptions {
  /** Longest ACK object kept (bytes). PIC allows 1024; we allow more before calling it malformed. */
  maxAckBytes?: number;
}

const LEFT_BRACE = 0x7b;
const RIGHT_BRACE = 0x7d;
const LEFT_BRACKET = 0x5b;
const RIGHT_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const RAW_LIMIT = 256;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function malformed(code: MalformedAckCode, message: string, raw: string): MalformedAck {
  return { type: 'MALFORMED', code, message, raw: raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw };
}

export class AckParser {
  private readonly maxAckBytes: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Only whitespace since the last newline inside the open object. */
  private atLineStart = false;
  /** The open object was too long: keep counting braces, drop its bytes. */
  private discarding = false;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private garbage = '';

  constructor(options: AckParserOptions = {}) {
    this.maxAckBytes = options.maxAckBytes ?? 16 * 1024;
  }

  /** Feeds the next chunk of the response body; returns every ACK (or malformed report) it completed. */
  feed(chunk: Uint8Array): AckParserOutput[] {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: AckParserOutput[] = [];
    let objectStart = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < data.length; i += 1) {
      const c = data[i]!;
      if (this.depth === 0) {
        if (c === LEFT_BRACE) {
          this.flushGarbage(out);
          this.openObject();
          objectStart = i;
        } else if (isWhitespace(c)) {
          if (c === NEWLINE) this.flushGarbage(out);
          else if (this.garbage !== '' && this.garbage.length < RAW_LIMIT) this.garbage += String.fromCharCode(c);
        } else if (this.garbage.length < RAW_LIMIT) {
          this.garbage += String.fromCharCode(c);
        }
        continue;
      }
      if (!this.discarding && this.partsBytes + (i + 1 - objectStart) > this.maxAckBytes) {
        out.push(malformed('KVS_ACK_TOO_LONG', `an ACK longer than ${this.maxAckBytes} bytes was dropped`, this.text(data, objectStart, i + 1)));
        this.discarding = true;
        this.parts = [];
        this.partsBytes = 0;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        else if (c === NEWLINE) {
          this.collect(data, objectStart, i);
          out.push(this.abandonObject('a string was cut off by a newline'));
          objectStart = -1;
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.atLineStart = false;
      } else if (c === LEFT_BRACE || c === LEFT_BRACKET) {
        if (c === LEFT_BRACE && this.atLineStart) {
          // A new ACK began on a fresh line while the previous one was still open: it was cut short.
          this.collect(data, objectStart, i);
          out.push(this.abandonObject('the object was cut short by the next one'));
          this.openObject();
          objectStart = i;
          continue;
        }
        this.depth += 1;
        this.atLineStart = false;
      } else if (c === RIGHT_BRACE || c === RIGHT_BRACKET) {
        this.depth -= 1;
        this.atLineStart = false;
        if (this.depth === 0) {
          this.collect(data, objectStart, i + 1);
          objectStart = -1;
          const finished = this.finishObject();
          if (finished !== undefined) out.push(finished);
        }
      } else if (c === NEWLINE) {
        this.atLineStart = true;
      } else if (!isWhitespace(c)) {
        this.atLineStart = false;
      }
    }
    if (this.depth > 0 && objectStart >= 0) this.collect(data, objectStart, data.length);
    return out;
  }

  /** The response ended: reports an object or garbage left incomplete. */
  end(): AckParserOutput[] {
    const out: AckParserOutput[] = [];
    this.flushGarbage(out);
    if (this.depth > 0) out.push(this.abandonObject('the response ended inside an ACK'));
    return out;
  }

  private openObject(): void {
    this.depth = 1;
    this.inString = false;
    this.escaped = false;
    this.atLineStart = false;
    this.discarding = false;
    this.parts = [];
    this.partsBytes = 0;
  }

  private collect(data: Buffer, from: number, to: number): void {
    if (this.discarding || from < 0 || to <= from) return;
    this.parts.push(data.subarray(from, to));
    this.partsBytes += to - from;
  }

  private text(data?: Buffer, from = 0, to = 0): string {
    const pieces = data === undefined || from < 0 ? this.parts : [...this.parts, data.subarray(from, to)];
    return Buffer.concat(pieces).toString('utf8');
  }

  private abandonObject(why: string): MalformedAck {
    const wasDiscarding = this.discarding;
    const raw = this.text();
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.discarding = false;
    this.parts = [];
    this.partsBytes = 0;
    return wasDiscarding
      ? malformed('KVS_ACK_TOO_LONG', `an over-long ACK ended badly: ${why}`, raw)
      : malformed('KVS_ACK_MALFORMED_JSON', why, raw);
  }

  private flushGarbage(out: AckParserOutput[]): void {
    if (this.garbage === '') return;
    out.push(malformed('KVS_ACK_MALFORMED_JSON', 'text between ACKs is not JSON', this.garbage.trimEnd()));
    this.garbage = '';
  }

  private finishObject(): AckParserOutput | undefined {
    if (this.discarding) {
      // Already reported when it crossed the limit.
      this.discarding = false;
      return undefined;
    }
    const raw = this.text();
    this.parts = [];
    this.partsBytes = 0;
    let value: JsonValue;
    try {
      value = parseLosslessJson(raw);
    } catch (error) {
      if (error instanceof JsonSyntaxError) {
        return malformed(error.duplicateKey ? 'KVS_ACK_DUPLICATE_KEY' : 'KVS_ACK_MALFORMED_JSON', error.message, raw);
      }
      throw error;
    }
    return toAck(value, raw);
  }
}

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** A non-negative integer that a JS number holds exactly, from a JSON number or a string of digits. */
function safeInteger(v: JsonValue | undefined): number | undefined | 'bad' {
  if (v === undefined || v === null) return undefined;
  const text = v instanceof JsonNumber ? v.text : typeof v === 'string' ? v : undefined;
  if (text === undefined || !/^\d+$/.test(text)) return 'bad';
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : 'bad';
}

/** Fragment numbers are decimal strings; a number token is kept as its exact digits. */
function decimalString(v: JsonValue | undefined): string | undefined | 'bad' {
  if (v === undefined || v === null) return undefined;
  const text = v instanceof JsonNumber ? v.text : typeof v === 'string' ? v : undefined;
  return text !== undefined && /^\d+$/.test(text) ? text : 'bad';
}

function toAck(value: JsonValue, raw: string): AckParserOutput {
  if (!isObject(value)) return malformed('KVS_ACK_MALFORMED_JSON', 'an ACK must be a JSON object', raw);
  // The API reference shows `{ "Acknowledgement": {...} }`; the wire sends the flat object. Accept both.
  const keys = Object.keys(value);
  const obj = keys.length === 1 && keys[0] === 'Acknowledgement' && isObject(value.Acknowledgement) ? value.Acknowledgement : value;

  const eventType = obj.EventType;
  if (typeof eventType !== 'string') return malformed('KVS_ACK_MISSING_FIELD', 'EventType is missing or not a string', raw);
  const timecode = safeInteger(obj.FragmentTimecode);
  if (timecode === 'bad') return malformed('KVS_ACK_BAD_FIELD', 'FragmentTimecode is not a non-negative integer', raw);
  const fragmentNumber = decimalString(obj.FragmentNumber);
  if (fragmentNumber === 'bad') return malformed('KVS_ACK_BAD_FIELD', 'FragmentNumber is not a decimal string', raw);
  const withNumber = fragmentNumber === undefined ? {} : { fragmentNumber };

  switch (eventType) {
    case 'IDLE':
      return { type: 'IDLE' };
    case 'BUFFERING':
    case 'RECEIVED':
    case 'PERSISTED':
      if (timecode === undefined) return malformed('KVS_ACK_MISSING_FIELD', `${eventType} ACK without FragmentTimecode`, raw);
      return { type: eventType, fragmentTimecode: timecode, ...withNumber };
    case 'ERROR': {
      const errorId = safeInteger(obj.ErrorId);
      if (errorId === undefined) return malformed('KVS_ACK_MISSING_FIELD', 'ERROR ACK without ErrorId', raw);
      if (errorId === 'bad') return malformed('KVS_ACK_BAD_FIELD', 'ErrorId is not an integer', raw);
      const errorCode = typeof obj.ErrorCode === 'string' ? { errorCode: obj.ErrorCode } : {};
      return { type: 'ERROR', errorId, ...errorCode, ...(timecode === undefined ? {} : { fragmentTimecode: timecode }), ...withNumber };
    }
    default:
      return malformed('KVS_ACK_UNKNOWN_EVENT', `unknown EventType "${eventType.slice(0, 40)}"`, raw);
  }
}
