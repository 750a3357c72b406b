/**
 * The spool entry of one user record: a compact binary envelope, never JSON (no per-record
 * stringify/parse on the hot path). Little-endian:
 *
 * | offset | bytes | field |
 * |-------:|------:|-------|
 * | 0      | 1     | flags: high nibble = envelope version (1); bit 0 = has ExplicitHashKey |
 * | 1      | 6     | acceptedAtMs, u48 (wall clock; for the record TTL after a restart) |
 * | 7      | 2     | partition key length in UTF-8 bytes, u16 (0 for Firehose) |
 * | 9      | n     | partition key, UTF-8 |
 * | 9+n    | 1 + m | if flag bit 0: EHK length m (u8), then m ASCII digits |
 * | …      | rest  | the record's data |
 *
 * The spool's CRC covers the whole envelope, so a damaged one never reaches decode.
 */
import { EnvelopeError } from './errors.js';
import type { KeyInterner } from './key-interner.js';

const VERSION = 1;
const VERSION_BITS = VERSION << 4;
const FLAG_EXPLICIT_HASH_KEY = 0x01;
export const ENVELOPE_FIXED_BYTES = 9;

/** A record as it comes back out of the spool. `data` is a view into the read buffer. */
export interface DecodedEnvelope {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly partitionKeyBytes: number;
  readonly explicitHashKey: string | undefined;
  readonly acceptedAtMs: number;
}

/**
 * `data` is bytes, or text written as UTF-8 (`dataBytes` is its UTF-8 length, counting the newline
 * when `newline` asks for one after it). `partitionKeyBytes` is the key's UTF-8 length (the caller
 * measured it during validation).
 */
export function encodeEnvelope(
  data: Uint8Array | string,
  dataBytes: number,
  newline: boolean,
  partitionKey: string,
  partitionKeyBytes: number,
  explicitHashKey: string | undefined,
  acceptedAtMs: number,
): Buffer {
  const ehkBytes = explicitHashKey === undefined ? 0 : 1 + explicitHashKey.length;
  const out = Buffer.allocUnsafe(ENVELOPE_FIXED_BYTES + partitionKeyBytes + ehkBytes + dataBytes);
  encodeEnvelopeInto(out, 0, data, newline, partitionKey, partitionKeyBytes, explicitHashKey, acceptedAtMs);
  return out;
}

/**
 * Writes the envelope into `out` at `at` (which has room for the worst case the caller reserved) and
 * returns its length. A string's data is written as UTF-8 here, so its byte length need not be
 * measured first: the caller checks the returned length against the record limits.
 */
export function encodeEnvelopeInto(
  out: Buffer,
  at: number,
  data: Uint8Array | string,
  newline: boolean,
  partitionKey: string,
  partitionKeyBytes: number,
  explicitHashKey: string | undefined,
  acceptedAtMs: number,
): number {
  out[at] = VERSION_BITS | (explicitHashKey === undefined ? 0 : FLAG_EXPLICIT_HASH_KEY);
  out.writeUIntLE(Math.max(0, Math.floor(acceptedAtMs)), at + 1, 6);
  out.writeUInt16LE(partitionKeyBytes, at + 7);
  let offset = at + ENVELOPE_FIXED_BYTES;
  if (partitionKeyBytes === partitionKey.length) {
    // ASCII (UTF-8 length = string length), the usual key: a short loop beats Buffer#write's per-call cost.
    for (let i = 0; i < partitionKeyBytes; i++) out[offset + i] = partitionKey.charCodeAt(i);
    offset += partitionKeyBytes;
  } else offset += out.write(partitionKey, offset, 'utf8');
  if (explicitHashKey !== undefined) {
    out[offset++] = explicitHashKey.length;
    offset += out.write(explicitHashKey, offset, 'latin1');
  }
  if (typeof data === 'string') offset += out.write(data, offset, 'utf8');
  else {
    out.set(data, offset);
    offset += data.byteLength;
  }
  if (newline) out[offset++] = 0x0a;
  return offset - at;
}

/** Envelope bytes besides the data: the fixed part, the key and the EHK. */
export function envelopeOverhead(partitionKeyBytes: number, explicitHashKey: string | undefined): number {
  return ENVELOPE_FIXED_BYTES + partitionKeyBytes + (explicitHashKey === undefined ? 0 : 1 + explicitHashKey.length);
}

export function decodeEnvelope(payload: Buffer): DecodedEnvelope {
  const fields = new EnvelopeFields();
  readEnvelope(payload, 0, payload.length, true, fields);
  return {
    data: payload.subarray(fields.dataStart),
    partitionKey: fields.partitionKey,
    partitionKeyBytes: fields.partitionKeyBytes,
    explicitHashKey: fields.explicitHashKey,
    acceptedAtMs: fields.acceptedAtMs,
  };
}

/**
 * One envelope's fields, filled in place by {@link readEnvelope}: the sender keeps one and reuses it
 * for every record it reads, so decoding allocates nothing but the partition key string.
 */
export class EnvelopeFields {
  seq = 0;
  partitionKey = '';
  partitionKeyBytes = 0;
  explicitHashKey: string | undefined = undefined;
  acceptedAtMs = 0;
  /** Bytes the service counts: data plus partition key (Kinesis), or data (Firehose). */
  size = 0;
  /** The record's data is `buf[dataStart, dataEnd)` of the buffer read. */
  dataStart = 0;
  dataEnd = 0;
}

/**
 * Decodes the envelope at `buf[start, end)` into `out`. `countKeyBytes`: the size the service counts
 * includes the partition key (Kinesis) or not (Firehose). `keys` turns partition key bytes into
 * strings (reusing one string per repeated key). Throws EnvelopeError if it is not an envelope.
 */
export function readEnvelope(buf: Buffer, start: number, end: number, countKeyBytes: boolean, out: EnvelopeFields, keys?: KeyInterner): void {
  const length = end - start;
  if (length < ENVELOPE_FIXED_BYTES || buf[start]! >> 4 !== VERSION) {
    throw new EnvelopeError(
      `Spool entry is not a version ${VERSION} record envelope (${length} bytes, first byte ${length > 0 ? buf[start] : 'none'}); ` +
        'it was written by another kedge version or another program. It is dead-lettered.',
    );
  }
  const flags = buf[start]!;
  const acceptedAtMs = buf.readUIntLE(start + 1, 6);
  const partitionKeyBytes = buf[start + 7]! | (buf[start + 8]! << 8);
  const keyStart = start + ENVELOPE_FIXED_BYTES;
  let offset = keyStart + partitionKeyBytes;
  if (offset > end) throw new EnvelopeError(`Spool entry's partition key (${partitionKeyBytes} bytes) runs past its end.`);
  let explicitHashKey: string | undefined;
  if ((flags & FLAG_EXPLICIT_HASH_KEY) !== 0) {
    const ehkLength = offset < end ? buf[offset]! : -1;
    if (ehkLength < 0 || offset + 1 + ehkLength > end) throw new EnvelopeError("Spool entry's ExplicitHashKey runs past its end.");
    explicitHashKey = buf.toString('latin1', offset + 1, offset + 1 + ehkLength);
    offset += 1 + ehkLength;
  }
  const keyEnd = keyStart + partitionKeyBytes;
  out.partitionKey = partitionKeyBytes === 0 ? '' : keys !== undefined ? keys.intern(buf, keyStart, keyEnd) : buf.toString('utf8', keyStart, keyEnd);
  out.partitionKeyBytes = partitionKeyBytes;
  out.explicitHashKey = explicitHashKey;
  out.acceptedAtMs = acceptedAtMs;
  out.dataStart = offset;
  out.dataEnd = end;
  out.size = countKeyBytes ? end - offset + partitionKeyBytes : end - offset;
}
