import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KDS_HASH_KEY_MAX } from '../../../../src/core/limits.js';
import {
  compareHashKeys,
  hashKeyFromBigInt,
  hashKeyFromDecimal,
  hashKeyOfPartitionKey,
  hashKeyOfRecord,
  hashKeyToBigInt,
  hashKeyToDecimal,
} from '../../../../src/pipeline/aggregation/hash-key.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

describe('hash keys', () => {
  it('reads MD5 of the UTF-8 partition key as a big-endian 128-bit integer', () => {
    for (const key of ['a', 'device-42', '温度', '😀']) {
      const hex = createHash('md5').update(Buffer.from(key, 'utf8')).digest('hex');
      expect(hashKeyToBigInt(hashKeyOfPartitionKey(key))).toBe(BigInt(`0x${hex}`));
    }
  });

  it('gives partition key "abc" the hash key the kinesis-aggregation Java aggregator wrote for it (100-record fixture)', () => {
    expect(hashKeyToDecimal(hashKeyOfPartitionKey('abc'))).toBe('191415658344158766168031473277922803570');
  });

  it('takes an ExplicitHashKey as the hash key instead of hashing the partition key', () => {
    expect(hashKeyToDecimal(hashKeyOfRecord('abc', '38486495867508399078159723846051807020'))).toBe('38486495867508399078159723846051807020');
    expect(hashKeyOfRecord('abc')).toEqual(hashKeyOfPartitionKey('abc'));
  });

  it('converts between bytes, bigint and decimal at 0, 2^64, and 2^128 − 1', () => {
    for (const value of [0n, 1n << 64n, (1n << 64n) - 1n, KDS_HASH_KEY_MAX]) {
      const bytes = hashKeyFromBigInt(value);
      expect(bytes).toHaveLength(16);
      expect(hashKeyToBigInt(bytes)).toBe(value);
      expect(hashKeyToDecimal(hashKeyFromDecimal(value.toString()))).toBe(value.toString());
    }
    expect([...hashKeyFromBigInt(KDS_HASH_KEY_MAX)]).toEqual(new Array(16).fill(255));
  });

  it('refuses a negative value or one of 2^128 and above', () => {
    expect(() => hashKeyFromBigInt(-1n)).toThrow(RangeError);
    expect(() => hashKeyFromBigInt(KDS_HASH_KEY_MAX + 1n)).toThrow(RangeError);
  });

  it('orders hash keys exactly as the integers they encode', () => {
    const rng = seededRng(7);
    const randomKey = (): bigint => {
      let value = 0n;
      for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(Math.floor(rng.next() * 2 ** 32));
      return value >> BigInt(rng.int(128));
    };
    for (let i = 0; i < 500; i++) {
      const a = randomKey();
      const b = rng.int(10) === 0 ? a : randomKey();
      expect(Math.sign(compareHashKeys(hashKeyFromBigInt(a), hashKeyFromBigInt(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
    }
  });
});
