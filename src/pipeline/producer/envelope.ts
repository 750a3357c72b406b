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
import type { PendingRecord } from './pending.js';

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
  out[0] = VERSION_BITS | (explicitHashKey === undefined ? 0 : FLAG_EXPLICIT_HASH_KEY);
  out.writeUIntLE(Math.max(0, Math.floor(acceptedAtMs)), 1, 6);
  out.writeUInt16LE(partitionKeyBytes, 7);
  let offset = ENVELOPE_FIXED_BYTES;
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
  if (newline) out[offset] = 0x0a;
  return out;
}

export function decodeEnvelope(payload: Buffer): DecodedEnvelope {
  const record = decodeRecord(payload, 0, true, 0);
  // The data is the envelope's tail.
  const data = payload.subarray(payload.length - record.data.byteLength);
  return { data, partitionKey: record.partitionKey, partitionKeyBytes: record.size - record.data.byteLength, explicitHashKey: record.explicitHashKey, acceptedAtMs: record.acceptedAtMs };
}

/**
 * Decodes straight into the sender's record: one object per record, built in one place (the
 * sender decodes every record it reads from the spool). `countKeyBytes`: the size the service
 * counts includes the partition key (Kinesis) or not (Firehose).
 */
export function decodeRecord(payload: Buffer, seq: number, countKeyBytes: boolean, queuedAtMs: number): PendingRecord {
  if (payload.length < ENVELOPE_FIXED_BYTES || payload[0]! >> 4 !== VERSION) {
    throw new EnvelopeError(
      `Spool entry is not a version ${VERSION} record envelope (${payload.length} bytes, first byte ${payload[0] ?? 'none'}); ` +
        'it was written by another kedge version or another program. It is dead-lettered.',
    );
  }
  const flags = payload[0]!;
  const acceptedAtMs = payload.readUIntLE(1, 6);
  const partitionKeyBytes = payload.readUInt16LE(7);
  let offset = ENVELOPE_FIXED_BYTES + partitionKeyBytes;
  if (offset > payload.length) throw new EnvelopeError(`Spool entry's partition key (${partitionKeyBytes} bytes) runs past its end.`);
  const partitionKey = partitionKeyBytes === 0 ? '' : payload.toString('utf8', ENVELOPE_FIXED_BYTES, offset);
  let explicitHashKey: string | undefined;
  if ((flags & FLAG_EXPLICIT_HASH_KEY) !== 0) {
    const length = payload[offset];
    if (length === undefined || offset + 1 + length > payload.length) throw new EnvelopeError("Spool entry's ExplicitHashKey runs past its end.");
    explicitHashKey = payload.toString('latin1', offset + 1, offset + 1 + length);
    offset += 1 + length;
  }
  const data = payload.subarray(offset);
  return {
    seq,
    data,
    partitionKey,
    explicitHashKey,
    size: countKeyBytes ? data.byteLength + partitionKeyBytes : data.byteLength,
    acceptedAtMs,
    attempts: 0,
    queuedAtMs,
  };
}
