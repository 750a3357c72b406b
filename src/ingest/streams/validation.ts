/**
 * Input checks that fail like AWS: a wrong JSON type is a SerializationException at once; constraint
 * violations are collected into one ValidationException, worded as AWS words them:
 * `2 validation errors detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy
 * regular expression pattern: [a-zA-Z0-9_.-]+; Value null at 'shardToSplit' failed to satisfy constraint: ...`.
 */
import { invalidArgument, serializationError, validationError, type ServiceError } from '../server/service-error.js';
import { STREAM_ARN_MAX_CHARS, STREAM_NAME_MAX_CHARS } from './limits.js';

export type JsonObject = Record<string, unknown>;

const MAX_LISTED_ERRORS = 10;

export const NAME_PATTERN_TEXT = '[a-zA-Z0-9_.-]+';
const NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
export const ARN_PATTERN_TEXT = 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+';
const ARN_PATTERN = /^arn:aws.*:kinesis:(.*):(\d{12}):stream\/(\S+)$/;

export interface StringRules {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  patternText?: string;
  oneOf?: readonly string[];
}

export interface IntegerRules {
  required?: boolean;
  min?: number;
  max?: number;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function javaTypeOf(value: unknown): string {
  if (typeof value === 'boolean') return 'class java.lang.Boolean';
  if (typeof value === 'number') return 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
  return 'class java.lang.String';
}

/** The SerializationException for a JSON value of the wrong type (worded as AWS's Java front end words it). */
export function serializationErrorFor(value: unknown, target = 'a structure'): ServiceError {
  if (Array.isArray(value)) return serializationError('Start of list found where not expected');
  if (typeof value === 'object' && value !== null) return serializationError('Start of structure or map found where not expected.');
  if (target === 'a structure') return serializationError('Expected a structure (JSON object) or null');
  return serializationError(`${javaTypeOf(value)} can not be converted to ${target}`);
}

function wrongType(value: unknown, target: string): never {
  throw serializationErrorFor(value, target);
}

export class Checks {
  constructor(
    private readonly input: JsonObject,
    private readonly path = '',
    /** Shared with nested structures, so their violations land in the same ValidationException. */
    private readonly errors: string[] = [],
  ) {}

  static of(input: unknown): Checks {
    if (input === null || input === undefined) return new Checks({});
    if (typeof input !== 'object' || Array.isArray(input)) wrongType(input, 'a structure');
    return new Checks(input as JsonObject);
  }

  /** Records a constraint violation for `field` (as named in the API, e.g. 'ShardCount'). */
  violation(field: string, value: unknown, constraint: string): void {
    const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`;
    this.errors.push(`Value ${shown} at '${this.path}${lowerFirst(field)}' failed to satisfy constraint: ${constraint}`);
  }

  private missing(field: string, required: boolean | undefined): undefined {
    if (required) this.violation(field, undefined, 'Member must not be null');
    return undefined;
  }

  string(field: string, rules: StringRules = {}): string | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, rules.required);
    if (typeof value !== 'string') wrongType(value, 'an String');
    if (rules.minLength !== undefined && value.length < rules.minLength) {
      this.violation(field, value, `Member must have length greater than or equal to ${rules.minLength}`);
    }
    if (rules.maxLength !== undefined && value.length > rules.maxLength) {
      this.violation(field, value, `Member must have length less than or equal to ${rules.maxLength}`);
    }
    if (rules.pattern && !rules.pattern.test(value)) {
      this.violation(field, value, `Member must satisfy regular expression pattern: ${rules.patternText ?? rules.pattern.source}`);
    }
    if (rules.oneOf && !rules.oneOf.includes(value)) {
      this.violation(field, value, `Member must satisfy enum value set: [${rules.oneOf.join(', ')}]`);
    }
    return value;
  }

  integer(field: string, rules: IntegerRules = {}): number | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, rules.required);
    if (typeof value !== 'number') wrongType(value, 'an Integer');
    const n = Math.floor(value);
    if (rules.min !== undefined && n < rules.min) this.violation(field, n, `Member must have value greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && n > rules.max) this.violation(field, n, `Member must have value less than or equal to ${rules.max}`);
    return n;
  }

  boolean(field: string): boolean | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') wrongType(value, 'an Boolean');
    return value;
  }

  /**
   * A base64 blob; returns the string and its decoded length (computed, not decoded: callers decode it once,
   * straight into its final buffer). A string that cannot be base64 is a SerializationException, as on AWS.
   */
  blob(field: string, rules: { required?: boolean; maxBytes?: number } = {}): { base64: string; bytes: number } | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, rules.required);
    if (typeof value !== 'string') wrongType(value, 'a Blob');
    const bytes = base64DecodedLength(value);
    if (bytes < 0) throw notBase64(value);
    if (rules.maxBytes !== undefined && bytes > rules.maxBytes) {
      this.violation(field, blobDisplay(bytes), `Member must have length less than or equal to ${rules.maxBytes}`);
    }
    return { base64: value, bytes };
  }

  /** Epoch seconds (fractional) on the wire; returned in milliseconds. */
  timestampMs(field: string): number | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number') {
      if (typeof value === 'string' || typeof value === 'boolean') throw serializationError(`${javaTypeOf(value)} can not be converted to milliseconds since epoch`);
      wrongType(value, 'milliseconds since epoch');
    }
    return Math.round(value * 1000);
  }

  structure(field: string, required = false): Checks | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, required);
    if (typeof value !== 'object' || Array.isArray(value)) wrongType(value, 'a structure');
    return new Checks(value as JsonObject, `${this.path}${lowerFirst(field)}.`, this.errors);
  }

  /** Checks for the n-th (0-based) structure of a list, named as AWS names it: `records.1.member.`. */
  member(listField: string, index: number, value: unknown): Checks {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) wrongType(value, 'a structure');
    return new Checks(value as JsonObject, `${this.path}${lowerFirst(listField)}.${index + 1}.member.`, this.errors);
  }

  list(field: string, rules: { required?: boolean; min?: number; max?: number } = {}): unknown[] | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, rules.required);
    if (!Array.isArray(value)) {
      if (typeof value === 'object') throw serializationError('Start of structure or map found where not expected.');
      throw serializationError('Expected list or null');
    }
    if (rules.min !== undefined && value.length < rules.min) this.violation(field, `[${value.length} items]`, `Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.violation(field, `[${value.length} items]`, `Member must have length less than or equal to ${rules.max}`);
    return value;
  }

  stringList(field: string, rules: { required?: boolean; min?: number; max?: number; itemMin?: number; itemMax?: number } = {}): string[] | undefined {
    const value = this.list(field, rules);
    if (!value) return undefined;
    for (const item of value) {
      if (typeof item !== 'string') wrongType(item, 'an String');
      if ((rules.itemMin !== undefined && item.length < rules.itemMin) || (rules.itemMax !== undefined && item.length > rules.itemMax)) {
        this.violation(field, `[${value.join(', ')}]`, `Member must satisfy constraint: [Member must have length less than or equal to ${rules.itemMax}, Member must have length greater than or equal to ${rules.itemMin}]`);
        break;
      }
    }
    return value as string[];
  }

  stringMap(field: string, rules: { required?: boolean; min?: number; max?: number } = {}): Record<string, string> | undefined {
    const value = this.input[field];
    if (value === undefined || value === null) return this.missing(field, rules.required);
    if (typeof value !== 'object') throw serializationError('Expected map or null');
    if (Array.isArray(value)) throw serializationError('Start of list found where not expected');
    const map = value as Record<string, unknown>;
    for (const v of Object.values(map)) if (typeof v !== 'string') wrongType(v, 'an String');
    const size = Object.keys(map).length;
    if (rules.min !== undefined && size < rules.min) this.violation(field, map, `Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && size > rules.max) this.violation(field, map, `Member must have length less than or equal to ${rules.max}`);
    return map as Record<string, string>;
  }

  /** Throws the collected violations as one ValidationException. */
  done(): void {
    const n = this.errors.length;
    if (n === 0) return;
    const listed = this.errors.slice(0, MAX_LISTED_ERRORS).join('; ');
    throw validationError(`${n} validation error${n > 1 ? 's' : ''} detected: ${listed}`);
  }

  /** StreamName and StreamARN as most operations take them; which stream they name is resolved later. */
  streamRef(options: { nameField?: string; arnField?: string } = {}): StreamRef {
    const name = this.string(options.nameField ?? 'StreamName', { minLength: 1, maxLength: STREAM_NAME_MAX_CHARS, pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT });
    const arn = this.string(options.arnField ?? 'StreamARN', { minLength: 1, maxLength: STREAM_ARN_MAX_CHARS, pattern: ARN_PATTERN, patternText: ARN_PATTERN_TEXT });
    return { name, arn };
  }

  /** A stream name on its own (CreateStream, ExclusiveStartStreamName). */
  streamName(field = 'StreamName', required = true): string | undefined {
    return this.string(field, { required, minLength: 1, maxLength: STREAM_NAME_MAX_CHARS, pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT });
  }

  shardId(field: string, required = true): string | undefined {
    return this.string(field, { required, minLength: 1, maxLength: 128, pattern: NAME_PATTERN, patternText: NAME_PATTERN_TEXT });
  }
}

/** Decoded length of a base64 string, or -1 if its length is not a multiple of 4. */
export function base64DecodedLength(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  if (n === 0) return 0;
  const pad = s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return (n / 4) * 3 - pad;
}

export function notBase64(value: string): ServiceError {
  const shown = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return serializationError(`'${shown}' can not be converted to a Blob: it is not valid base64 (length ${value.length}).`);
}

/** How AWS shows a blob in a ValidationException. */
export function blobDisplay(bytes: number): string {
  return `java.nio.HeapByteBuffer[pos=0 lim=${bytes} cap=${bytes}]`;
}

export interface StreamRef {
  readonly name: string | undefined;
  readonly arn: string | undefined;
}

export interface ParsedStreamArn {
  readonly region: string;
  readonly accountId: string;
  readonly name: string;
}

/** Only call after `Checks.done()` accepted the ARN's pattern. */
export function parseStreamArn(arn: string): ParsedStreamArn {
  const m = ARN_PATTERN.exec(arn);
  if (!m || !NAME_PATTERN.test(m[3]!)) throw invalidArgument(`StreamARN ${arn} is not a valid Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).`);
  return { region: m[1]!, accountId: m[2]!, name: m[3]! };
}
