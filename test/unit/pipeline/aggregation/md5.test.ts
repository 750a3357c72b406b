import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKeyOfPartitionKey } from '../../../../src/pipeline/aggregation/hash-key.js';
import { Md5, MD5_SHORT_MAX_BYTES, md5OfShortAscii } from '../../../../src/pipeline/aggregation/md5.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

const reference = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('md5OfShortAscii', () => {
  it('matches node:crypto for every length from 0 to 55 bytes (one MD5 block)', () => {
    const alphabet = 'The quick brown fox jumps over the lazy dog 0123456789-_/:.';
    for (let length = 0; length <= MD5_SHORT_MAX_BYTES; length++) {
      const text = alphabet.repeat(2).slice(0, length);
      expect(md5OfShortAscii(text)?.toString('hex')).toBe(reference(text));
    }
  });

  it('matches the RFC 1321 test suite', () => {
    expect(md5OfShortAscii('')!.toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5OfShortAscii('abc')!.toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5OfShortAscii('message digest')!.toString('hex')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(md5OfShortAscii('abcdefghijklmnopqrstuvwxyz')!.toString('hex')).toBe('c3fcd3d76192e4007dfb496cca67e13b');
  });

  it('matches node:crypto for 5,000 random printable and control-character keys', () => {
    const rng = seededRng(1321);
    for (let i = 0; i < 5000; i++) {
      const text = String.fromCharCode(...Array.from({ length: rng.int(MD5_SHORT_MAX_BYTES + 1) }, () => rng.int(128)));
      expect(md5OfShortAscii(text)!.toString('hex')).toBe(reference(text));
    }
  });

  it('declines keys longer than one block or with non-ASCII characters', () => {
    expect(md5OfShortAscii('x'.repeat(56))).toBeUndefined();
    expect(md5OfShortAscii('température')).toBeUndefined();
  });

  it('leaves those keys to node:crypto, so every partition key hashes correctly', () => {
    for (const key of ['x'.repeat(56), 'x'.repeat(256), 'température', '😀', 'sensor-1']) {
      expect(hashKeyOfPartitionKey(key).toString('hex')).toBe(reference(key));
    }
  });
});

describe('the hot-path MD5', () => {
  it('equals node:crypto MD5 for ASCII, non-ASCII, empty, block-boundary and long keys', () => {
    const md5 = new Md5();
    const out = Buffer.alloc(16);
    const keys = ['', 'a', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(119), 'ü'.repeat(256), '💣 统一码', 'k'.repeat(256)];
    for (let i = 0; i < 300; i++) keys.push(randomBytes(i).toString(i % 2 ? 'hex' : 'latin1'));
    keys.push('x'.repeat(5000)); // longer than the scratch buffer: grows it
    for (const key of keys) {
      md5.digestUtf8(key, out);
      expect(out.toString('hex'), JSON.stringify(key.slice(0, 20))).toBe(createHash('md5').update(key, 'utf8').digest('hex'));
    }
  });
});
