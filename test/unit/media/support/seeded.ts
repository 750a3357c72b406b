import type { Rng } from '../../../../src/core/clock.js';

/** mulberry32: a small deterministic RNG so chunking and fuzz tests replay exactly. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Cuts `bytes` into chunks of 1..maxChunk bytes (often tiny, so start codes and headers split). */
export function randomChunks(bytes: Uint8Array, rng: Rng, maxChunk = 4096): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let p = 0;
  while (p < bytes.length) {
    // Half the chunks are 1..8 bytes, to split start codes and element headers often.
    const limit = rng.next() < 0.5 ? 8 : maxChunk;
    const n = 1 + Math.floor(rng.next() * limit);
    chunks.push(bytes.subarray(p, Math.min(bytes.length, p + n)));
    p += n;
  }
  return chunks;
}
