import { describe, expect, it } from 'vitest';
import { KeyInterner } from '../../../src/pipeline/producer/key-interner.js';

describe('KeyInterner', () => {
  it('decodes every partition key exactly, whatever its bytes, length or collisions', () => {
    const interner = new KeyInterner();
    const keys = [
      ...Array.from({ length: 20_000 }, (_, i) => `sensor-${i % 3000}`),
      'clé-ü',
      '中文😀',
      'x'.repeat(200),
      '',
      'a',
    ];
    const buf = Buffer.alloc(1024);
    for (const key of keys) {
      const bytes = buf.write(key, 7, 'utf8');
      expect(interner.intern(buf, 7, 7 + bytes)).toBe(key);
    }
  });

  it('gives back the same string object for a key it has seen, so no string is made per record', () => {
    const interner = new KeyInterner();
    const first = Buffer.from('..device-0042..');
    const second = Buffer.from('device-0042');
    const a = interner.intern(first, 2, 13);
    const b = interner.intern(second, 0, 11);
    expect(a).toBe('device-0042');
    expect(Object.is(a, b)).toBe(true);
  });
});
