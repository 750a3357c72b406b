import { describe, expect, it } from 'vitest';
import { BufferRecycler } from '../../../src/pipeline/producer/buffer-recycler.js';

describe('BufferRecycler', () => {
  it('hands a given-back buffer out again instead of allocating, up to maxFree of them', () => {
    const recycler = new BufferRecycler(1000, 1);
    const a = recycler.take(600);
    expect(a.length).toBe(600);
    recycler.give(a);
    const b = recycler.take(900);
    expect(b.length).toBe(900);
    expect(b.buffer).toBe(a.buffer);
    const c = recycler.take(10);
    expect(c.buffer).not.toBe(a.buffer);
    recycler.give(b);
    recycler.give(c); // over maxFree: left to the GC
    expect(recycler.take(1).buffer).toBe(b.buffer);
    expect(recycler.take(1).buffer).not.toBe(c.buffer);
  });

  it('takes back only whole buffers of its size, and serves an oversized request with a buffer of its own', () => {
    const recycler = new BufferRecycler(1000, 4);
    const foreign = Buffer.alloc(1000);
    recycler.give(foreign.subarray(1));
    recycler.give(Buffer.alloc(999));
    const big = recycler.take(5000);
    expect(big.length).toBe(5000);
    recycler.give(big);
    const next = recycler.take(10);
    expect(next.buffer).not.toBe(foreign.buffer);
    expect(next.buffer).not.toBe(big.buffer);
    expect(next.buffer.byteLength).toBe(1000);
  });
});
