/**
 * Kinesis hash keys (reference/kds.md §2.2): the unsigned 128-bit integer that picks a record's
 * shard. It is MD5(UTF-8 partition key) read big-endian (digest[0] is the most significant byte),
 * unless the record carries an ExplicitHashKey, which is the integer itself in decimal.
 *
 * Hot path: we keep a hash key as its 16 big-endian bytes, the form MD5 produces. Turning every
 * record's digest into a bigint would allocate and cost far more than the comparisons we need; the
 * shard map compares the bytes as four 32-bit words, and bigints/decimals are made only where the
 * wire wants them (one ExplicitHashKey per aggregated record).
 */
import { KDS_HASH_KEY_MAX } from '../../core/limits.js';
import { md5, md5OfShortAscii } from './md5.js';

/** A hash key as 16 big-endian bytes. */
export type HashKey = Uint8Array;

export const HASH_KEY_BYTES = 16;

/** MD5 of the partition key's UTF-8 bytes: the hash key Kinesis derives from a partition key. */
export function hashKeyOfPartitionKey(partitionKey: string): Buffer {
  // Per record: the JavaScript single-block MD5 is several times faster than a native call for the
  // short ASCII keys devices use (md5.ts); anything else goes to node:crypto.
  return md5OfShortAscii(partitionKey) ?? md5(partitionKey);
}

/** The hash key a record lands on: its ExplicitHashKey if it has one, else MD5 of its partition key. */
export function hashKeyOfRecord(partitionKey: string, explicitHashKey?: string): Buffer {
  return explicitHashKey === undefined ? hashKeyOfPartitionKey(partitionKey) : hashKeyFromDecimal(explicitHashKey);
}

/** Parses a decimal hash key (an ExplicitHashKey or a ListShards range bound). Assumes a valid value. */
export function hashKeyFromDecimal(decimal: string): Buffer {
  return hashKeyFromBigInt(BigInt(decimal));
}

export function hashKeyFromBigInt(value: bigint): Buffer {
  // Compared with a constant rather than shifted: no bigint allocated (per ExplicitHashKey record in ingest PutRecords).
  if (value < 0n || value > KDS_HASH_KEY_MAX) {
    throw new RangeError(`A hash key is an integer in [0, 2^128 − 1], got ${value}.`);
  }
  const bytes = Buffer.allocUnsafe(HASH_KEY_BYTES);
  bytes.writeBigUInt64BE(value >> 64n, 0);
  bytes.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, 8);
  return bytes;
}

export function hashKeyToBigInt(hashKey: HashKey): bigint {
  const view = new DataView(hashKey.buffer, hashKey.byteOffset, HASH_KEY_BYTES);
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** The decimal form Kinesis uses on the wire (ExplicitHashKey, HashKeyRange). */
export function hashKeyToDecimal(hashKey: HashKey): string {
  return hashKeyToBigInt(hashKey).toString();
}

/** Orders two hash keys as unsigned integers: negative, zero or positive. */
export function compareHashKeys(a: HashKey, b: HashKey): number {
  return Buffer.compare(a, b);
}
