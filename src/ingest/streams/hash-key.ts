/**
 * Hash keys on the target's side. A partition key maps to MD5(UTF-8 key) read as a big-endian uint128; an
 * ExplicitHashKey (decimal) overrides it. The conversions are the producer's (pipeline/aggregation/hash-key.ts):
 * keys travel the hot path as 16-byte big-endian buffers, because `Buffer.compare` on those orders exactly like
 * the numbers and costs far less than BigInt arithmetic per record. What is the target's own: the key space's
 * bounds as bigints and CreateStream's even split.
 */
import { KDS_HASH_KEY_MAX } from '../../core/limits.js';
import { hashKeyFromBigInt } from '../../pipeline/aggregation/hash-key.js';

export const HASH_KEY_LIMIT = KDS_HASH_KEY_MAX + 1n; // exclusive
export const MAX_HASH_KEY = KDS_HASH_KEY_MAX;

/** The 16 big-endian bytes of a hash key in [0, 2^128 − 1] (the name the operations know it by). */
export const hashKeyToBuffer: (value: bigint) => Buffer = hashKeyFromBigInt;

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
