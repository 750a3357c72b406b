/**
 * Opaque-but-parseable MKV pieces for the sink tests: the sink never looks inside fragments, but the fake
 * PutMedia server must find cluster boundaries and timecodes in the body, as the service does. Clusters
 * here have a known size (8-byte size vint), a Timecode element, and one SimpleBlock of filler bytes.
 */
import { seededRng } from './fake-time.js';

function vint8(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(size), 0);
  b[0] = 0x01;
  return b;
}

function element(id: number[], content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(id), vint8(content.length), content]);
}

/** EBML header + Segment (unknown size) + Info + Tracks; `label` makes different headers distinguishable. */
export function testStreamHeader(label = 'kedge-test'): Buffer {
  const ebml = element([0x1a, 0x45, 0xdf, 0xa3], Buffer.concat([Buffer.from([0x42, 0x82, 0x88]), Buffer.from('matroska')]));
  const segmentStart = Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const timecodeScale = Buffer.from([0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40]); // 1,000,000 ns
  const info = element([0x15, 0x49, 0xa9, 0x66], Buffer.concat([timecodeScale, Buffer.from([0x7b, 0xa9, 0x80 | label.length]), Buffer.from(label)]));
  const tracks = element([0x16, 0x54, 0xae, 0x6b], element([0xae], Buffer.from([0xd7, 0x81, 0x01, 0x83, 0x81, 0x01])));
  return Buffer.concat([ebml, segmentStart, info, tracks]);
}

/**
 * One Cluster at `timecodeMs` with `payloadBytes` bytes of deterministic filler; of known size unless
 * `unknownSize` (as kedge's MKV writer and the KVS producers write them).
 */
export function testCluster(timecodeMs: number, payloadBytes = 2000, seed = timecodeMs, unknownSize = false): Buffer {
  const rng = seededRng(seed);
  const payload = Buffer.alloc(payloadBytes);
  for (let i = 0; i < payloadBytes; i += 1) payload[i] = Math.floor(rng.next() * 256);
  const tc = Buffer.alloc(8);
  tc.writeBigUInt64BE(BigInt(timecodeMs));
  const timecode = Buffer.concat([Buffer.from([0xe7, 0x88]), tc]);
  const block = element([0xa3], Buffer.concat([Buffer.from([0x81, 0x00, 0x00, 0x80]), payload]));
  if (unknownSize) return Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), timecode, block]);
  return element([0x1f, 0x43, 0xb6, 0x75], Buffer.concat([timecode, block]));
}

export const FRAGMENT_MS = 2000;
export const START_MS = Date.UTC(2025, 0, 15, 11, 0, 0);

/** Timecode of the i-th test fragment (2 s apart). */
export const tcOf = (i: number): number => START_MS + i * FRAGMENT_MS;
