import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Range } from '../../../src/spool/header-crc.js';

describe('crc32Range', () => {
  it('gives zlib.crc32 of the same bytes, so spools written before and after read the same', () => {
    const bytes = Buffer.alloc(5000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff;
    // Lengths around the 8-byte stride, both paths (table loop, zlib from 2 KiB) and odd offsets.
    for (const [start, end] of [[0, 0], [0, 1], [3, 23], [0, 20], [17, 300], [255, 256], [1, 9], [5, 12], [7, 2047], [7, 2055], [0, 5000], [33, 4999]] as const) {
      expect(crc32Range(bytes, start, end)).toBe(crc32(bytes.subarray(start, end)));
    }
    expect(crc32Range(Buffer.from('123456789'), 0, 9)).toBe(0xcbf43926);
  });
});
