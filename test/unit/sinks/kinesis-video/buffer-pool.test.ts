import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../../src/sinks/kinesis-video/buffer-pool.js';

describe('BufferPool', () => {
  it('hands a buffer given back to the next request it fits, instead of allocating another', () => {
    const pool = new BufferPool();
    const a = pool.acquire(1000);
    expect(a.length).toBeGreaterThanOrEqual(1000);
    pool.release(a.subarray(0, 800)); // a view of it gives the whole buffer back
    const b = pool.acquire(900);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.size).toBe(0);
  });

  it('allocates with a quarter more room than asked, capped at maxBytes unless the request is larger', () => {
    expect(new BufferPool(2).acquire(1000).length).toBe(1250);
    expect(new BufferPool(2, 1100).acquire(1000).length).toBe(1100);
    expect(new BufferPool(2, 1100).acquire(5000).length).toBe(5000);
  });

  it('drops buffers smaller than the last request (a fragment outgrew them) and keeps at most `keep`', () => {
    const pool = new BufferPool(2);
    const small = pool.acquire(100);
    const large = pool.acquire(10_000);
    pool.release(small);
    expect(pool.size).toBe(0);
    const extra = [pool.acquire(10_000), pool.acquire(10_000)];
    pool.release(large);
    for (const b of extra) pool.release(b);
    expect(pool.size).toBe(2);
  });

  it('never takes in a buffer it did not make, nor one given back twice', () => {
    const pool = new BufferPool();
    pool.release(Buffer.alloc(10)); // a slice of Node's shared pool: others may be using the rest of it
    pool.release(Buffer.allocUnsafeSlow(4096));
    expect(pool.size).toBe(0);
    const a = pool.acquire(100);
    pool.release(a);
    pool.release(a);
    expect(pool.size).toBe(1);
  });
});
