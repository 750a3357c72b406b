/**
 * What `put()` does before the spool: turn the caller's value into bytes, check it against the sink's
 * limits (core/record-validation.ts, stable codes), and pack it into a spool envelope. A record that
 * fails here could never be delivered, so it is refused now rather than dead-lettered later.
 */
import { InvalidRecordError, checkExplicitHashKey, checkPartitionKey } from '../../core/record-validation.js';
import type { AppendBatcher } from './append-batcher.js';
import { encodeEnvelopeInto, envelopeOverhead } from './envelope.js';

/** Bytes as they are, a string as UTF-8, anything else as its JSON text. */
export type RecordInput = Uint8Array | string | number | boolean | null | object;

export interface PutOptions {
  /** Kinesis: picks the shard (1–256 characters). Default: a random key per record. Ignored by Firehose. */
  readonly partitionKey?: string;
  /** Kinesis: a decimal hash key in [0, 2^128 − 1] that overrides the partition key's hash. Ignored by Firehose. */
  readonly explicitHashKey?: string;
}

/** `'json'`: a newline after records put as JSON values; `'always'`: after every record not ending in one. */
export type NewlineMode = 'never' | 'json' | 'always';

export interface RecordRules {
  readonly kind: 'kinesis' | 'firehose';
  /** Kinesis: data plus UTF-8 partition key; Firehose: data. */
  readonly maxRecordBytes: number;
  readonly newline: NewlineMode;
}

const NEWLINE = 0x0a;

/** Turns a put() value into the record's bytes (a caller's buffer is used as is, not copied). */
export function toRecordData(input: RecordInput, newline: NewlineMode): Uint8Array {
  let data: Uint8Array;
  let isJson = false;
  if (input instanceof Uint8Array) {
    data = input;
  } else if (typeof input === 'string') {
    data = Buffer.from(input, 'utf8');
  } else {
    data = Buffer.from(jsonText(input), 'utf8');
    isJson = true;
  }
  const wantsNewline = newline === 'always' || (newline === 'json' && isJson);
  if (wantsNewline && (data.byteLength === 0 || data[data.byteLength - 1] !== NEWLINE)) {
    const withNewline = Buffer.allocUnsafe(data.byteLength + 1);
    withNewline.set(data, 0);
    withNewline[data.byteLength] = NEWLINE;
    data = withNewline;
  }
  return data;
}

function jsonText(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidRecordError(
      'RECORD_DATA_INVALID',
      `Record could not be serialised as JSON (${(error as Error).message}). Pass a Buffer, a string, or a JSON-serialisable value without cycles or BigInts.`,
    );
  }
  if (text === undefined) {
    throw new InvalidRecordError(
      'RECORD_DATA_INVALID',
      `Record of type ${typeof value} has no JSON form. Pass a Buffer, a string, or a JSON-serialisable value.`,
    );
  }
  return text;
}

/** Makes the per-producer random partition keys: a random prefix and a counter (cheap, spreads over shards by MD5). */
export class PartitionKeySource {
  #counter = 0;
  constructor(private readonly prefix: string) {}

  next(): string {
    this.#counter = (this.#counter + 1) % Number.MAX_SAFE_INTEGER;
    return this.prefix + this.#counter.toString(36);
  }
}

/** Strings longer than this are measured before they are written (reserving 3 bytes a character would be wasteful). */
const MEASURE_STRINGS_FROM = 16 * 1024;

/**
 * Validates the record for the sink and encodes its envelope straight into the append batch
 * (`reserve`, encode, `commit`); returns the envelope's length. Throws InvalidRecordError, and then
 * nothing is added. Strings and JSON values are written as UTF-8 straight into the batch (no
 * intermediate Buffer, and no separate pass to measure them): put() runs once per record.
 */
export function writeRecord(
  input: RecordInput,
  options: PutOptions | undefined,
  rules: RecordRules,
  keys: PartitionKeySource,
  nowMs: number,
  batch: AppendBatcher,
): number {
  if (input === undefined) {
    throw new InvalidRecordError('RECORD_DATA_INVALID', 'put() needs a record: a Buffer, Uint8Array, string or JSON-serialisable value, got undefined.');
  }
  let data: Uint8Array | string;
  let newline = false;
  /** The most bytes the data can take (exact for bytes and measured strings). */
  let dataMax: number;
  if (input instanceof Uint8Array) {
    data = toRecordData(input, rules.newline);
    dataMax = data.byteLength;
  } else {
    const isJson = typeof input !== 'string';
    data = isJson ? jsonText(input) : (input as string);
    newline = (rules.newline === 'always' || (rules.newline === 'json' && isJson)) && !data.endsWith('\n');
    dataMax = (data.length > MEASURE_STRINGS_FROM ? Buffer.byteLength(data, 'utf8') : 3 * data.length) + (newline ? 1 : 0);
  }
  let partitionKey = '';
  let partitionKeyBytes = 0;
  let explicitHashKey: string | undefined;
  if (rules.kind === 'kinesis') {
    partitionKey = options?.partitionKey ?? keys.next();
    explicitHashKey = options?.explicitHashKey;
    partitionKeyBytes = checkPartitionKey(partitionKey);
    if (explicitHashKey !== undefined) checkExplicitHashKey(explicitHashKey);
  }
  const overhead = envelopeOverhead(partitionKeyBytes, explicitHashKey);
  // A record far over every limit is refused before it is written anywhere.
  if (typeof data !== 'string' || data.length > MEASURE_STRINGS_FROM) checkSize(rules, dataMax, partitionKeyBytes);
  const at = batch.reserve(overhead + dataMax);
  const bytes = encodeEnvelopeInto(batch.buffer, at, data, newline, partitionKey, partitionKeyBytes, explicitHashKey, nowMs);
  checkSize(rules, bytes - overhead, partitionKeyBytes);
  batch.commit(bytes);
  return bytes;
}

function checkSize(rules: RecordRules, dataBytes: number, partitionKeyBytes: number): void {
  if (rules.kind === 'firehose') {
    if (dataBytes > rules.maxRecordBytes) {
      throw new InvalidRecordError(
        'RECORD_TOO_LARGE',
        `Record is ${dataBytes} bytes; a Firehose record may be at most ${rules.maxRecordBytes} bytes (1,000 KiB, before base64). Split the data into smaller records.`,
      );
    }
    return;
  }
  const size = dataBytes + partitionKeyBytes;
  if (size > rules.maxRecordBytes) {
    throw new InvalidRecordError(
      'RECORD_TOO_LARGE',
      `Record is ${size} bytes (data ${dataBytes} + partition key ${partitionKeyBytes} UTF-8 bytes); ` +
        `a Kinesis record may be at most ${rules.maxRecordBytes} bytes including its partition key. ` +
        "Split the data into smaller records, or raise the stream's MaxRecordSize and the sink's maxRecordBytes.",
    );
  }
}
