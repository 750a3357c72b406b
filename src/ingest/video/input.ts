/** Checks of restJson1 request bodies, answering as AWS does (InvalidArgumentException, its wording). */
import { invalidArgument } from './errors.js';
import { MAX_STREAM_NAME_LENGTH, STREAM_NAME_PATTERN } from './limits.js';
import { parseStreamArn } from './model.js';

export type Input = Record<string, unknown>;

/** The JSON object body of a restJson1 call (an empty body is `{}`). */
export function parseBody(body: Buffer): Input {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`The request body is not valid JSON (${(err as Error).message}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument('The request body must be a JSON object.');
  return value as Input;
}

export function optionalString(input: Input, field: string, max = 1024): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidArgument(`${field} must be a string.`);
  if (v.length > max) throw invalidArgument(`${field} must be at most ${max} characters long.`);
  return v;
}

export function requiredString(input: Input, field: string, max = 1024): string {
  const v = optionalString(input, field, max);
  if (v === undefined || v.length === 0) throw invalidArgument(`${field} is required.`);
  return v;
}

export function optionalInteger(input: Input, field: string, min: number, max: number): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(`${field} must be a whole number.`);
  if (v < min || v > max) throw invalidArgument(`${field} must be between ${min} and ${max}, got ${v}.`);
  return v;
}

export function optionalEnum<T extends string>(input: Input, field: string, values: readonly T[]): T | undefined {
  const v = optionalString(input, field);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw invalidArgument(`${field} must be one of ${values.join(', ')}; got '${v}'.`);
  return v as T;
}

/** Epoch seconds (what the SDK sends for timestamps) → ms. */
export function optionalTimestampMs(input: Input, field: string): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`${field} must be a timestamp (epoch seconds).`);
  return Math.round(v * 1000);
}

export function optionalObject(input: Input, field: string): Input | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${field} must be an object.`);
  return v as Input;
}

export function checkStreamName(name: string, field = 'StreamName'): string {
  if (name.length < 1 || name.length > MAX_STREAM_NAME_LENGTH || !STREAM_NAME_PATTERN.test(name)) {
    throw invalidArgument(`${field} '${name}' must be 1 to ${MAX_STREAM_NAME_LENGTH} characters of [a-zA-Z0-9_.-].`);
  }
  return name;
}

/** A stream named by StreamName or StreamARN (one is required; if both are given they must agree). */
export interface StreamRef {
  readonly name: string;
  readonly arn: string | undefined;
}

export function streamRef(input: Input): StreamRef {
  const name = optionalString(input, 'StreamName', MAX_STREAM_NAME_LENGTH);
  const arn = optionalString(input, 'StreamARN');
  return streamRefOf(name, arn);
}

export function streamRefOf(name: string | undefined, arn: string | undefined): StreamRef {
  if (arn !== undefined) {
    const parsed = parseStreamArn(arn);
    if (parsed === undefined) throw invalidArgument(`StreamARN '${arn}' is not a Kinesis Video stream ARN (arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<creation time>).`);
    if (name !== undefined && name !== parsed.name) throw invalidArgument(`StreamName '${name}' and StreamARN '${arn}' name different streams; send one of them.`);
    return { name: parsed.name, arn };
  }
  if (name === undefined || name.length === 0) throw invalidArgument('Either StreamName or StreamARN must be specified.');
  return { name: checkStreamName(name), arn: undefined };
}
