/**
 * Hash keys: a partition key maps to MD5(UTF-8 key) read as a big-endian uint128; an ExplicitHashKey (decimal)
 * overrides it. Keys travel the hot path as 16-byte big-endian buffers, because `Buffer.compare` on those
 * orders exactly like the numbers and costs far less than BigInt arithmetic per record.
 */
import { createHash } from 'node:crypto';

export const HASH_KEY_BYTES = 16;
export const HASH_KEY_LIMIT = 1n << 128n; // exclusive
export const MAX_HASH_KEY = HASH_KEY_LIMIT - 1n;

export function hashKeyOfPartitionKey(partitionKey: string): Buffer {
  return createHash('md5').update(partitionKey, 'utf8').digest();
}

export function hashKeyToBuffer(value: bigint): Buffer {
  const out = Buffer.allocUnsafe(HASH_KEY_BYTES);
  out.writeBigUInt64BE(value >> 64n, 0);
  out.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, 8);
  return out;
}

export function hashKeyFromBuffer(key: Buffer): bigint {
  return (key.readBigUInt64BE(0) << 64n) | key.readBigUInt64BE(8);
}

export interface HashKeyRange {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Splits the key space evenly into `count` ranges as CreateStream does on AWS: slices of ⌊2^128/count⌋
 * keys, the last one running to 2^128−1 (kinesalite's AWS-recorded fixtures, reference/ingest.md §6).
 */
export function evenHashKeyRanges(count: number, start = 0n, endInclusive = MAX_HASH_KEY): HashKeyRange[] {
  const span = endInclusive - start + 1n;
  const slice = span / BigInt(count);
  const ranges: HashKeyRange[] = [];
  for (let i = 0; i < count; i++) {
    const from = start + slice * BigInt(i);
    const to = i === count - 1 ? endInclusive : from + slice - 1n;
    ranges.push({ start: from, end: to });
  }
  return ranges;
}
