/**
 * MKV pieces for the PutMedia tests, written with kedge's own MKV writer (encodeStreamHeader,
 * encodeCluster, encodeTags); frames are filler bytes, since the target never decodes them. Also a raw
 * EBML builder for what the writer refuses to produce (four tracks, undeclared track numbers, empty clusters).
 */
import { encodeCluster, encodeStreamHeader, encodeTags, MkvId } from '../../../../../src/media/mkv/index.js';

/** A syntactically valid avcC (High profile, 320x240) from an ffmpeg/libx264 testsrc stream: enough for the header. */
export const TEST_AVCC = Buffer.from('0164000dffe100176764000dacb20283f60220000003002000000641e2854901000668ebc3cb22c0fdf8f800', 'hex');

export function streamHeader(label = 'cam'): Buffer {
  return Buffer.from(encodeStreamHeader({ track: { codecPrivate: TEST_AVCC, width: 320, height: 240 }, segmentUid: Buffer.alloc(16, 7), title: label }));
}

export interface FakeFragmentOptions {
  /** Frames per fragment (default 25) and their spacing in ms (default 40). */
  readonly frames?: number;
  readonly frameMs?: number;
  /** Filler bytes per frame (default 200). */
  readonly frameBytes?: number;
  readonly trackNumber?: number;
}

/** One fragment: a Cluster at `timecode` (ms) starting with a keyframe. */
export function fragment(timecode: number, o: FakeFragmentOptions = {}): Buffer {
  const frames = o.frames ?? 25;
  const frameMs = o.frameMs ?? 40;
  return Buffer.from(
    encodeCluster(
      timecode,
      Array.from({ length: frames }, (_, i) => ({
        timecode: timecode + i * frameMs,
        keyframe: i === 0,
        payload: Buffer.alloc(o.frameBytes ?? 200, (timecode / frameMs + i) & 0xff),
        ...(o.trackNumber === undefined ? {} : { trackNumber: o.trackNumber }),
      })),
    ),
  );
}

/** A header and `count` one-second fragments from `startMs` on. */
export function fakeStream(startMs: number, count: number, o: FakeFragmentOptions = {}): { header: Buffer; fragments: Buffer[]; timecodes: number[] } {
  const timecodes = Array.from({ length: count }, (_, i) => startMs + i * 1000);
  return { header: streamHeader(), fragments: timecodes.map((t) => fragment(t, o)), timecodes };
}

export function metadataTags(count: number): Buffer {
  return Buffer.from(encodeTags(Array.from({ length: count }, (_, i) => ({ name: `meta-${i}`, value: `v${i}` }))));
}

/** An EBML element with an 8-byte size (IDs as MkvId gives them, marker bits included). */
export function element(id: number, ...content: Uint8Array[]): Buffer {
  const idBytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) idBytes.unshift(v & 0xff);
  const body = Buffer.concat(content);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length));
  size[0] = 0x01;
  return Buffer.concat([Buffer.from(idBytes), size, body]);
}

export function uintElement(id: number, value: number): Buffer {
  return element(id, Uint8Array.of(value));
}

/** EBML header + Segment (unknown size) + Info + a Tracks element with these video track numbers. */
export function headerWithTracks(trackNumbers: readonly number[]): Buffer {
  const real = streamHeader();
  // Everything before Tracks from the writer's header, then our own Tracks.
  const tracksAt = real.indexOf(Buffer.from([0x16, 0x54, 0xae, 0x6b]));
  const entries = trackNumbers.map((n) =>
    element(MkvId.TrackEntry, uintElement(MkvId.TrackNumber, n), uintElement(MkvId.TrackUid, n), uintElement(MkvId.TrackType, 1), element(MkvId.CodecId, Buffer.from('V_MPEG4/ISO/AVC')), element(MkvId.CodecPrivate, TEST_AVCC)),
  );
  return Buffer.concat([real.subarray(0, tracksAt), element(MkvId.Tracks, ...entries)]);
}

/** A Cluster of unknown size holding only its Timecode (no frames). */
export function emptyCluster(timecode: number): Buffer {
  const tc = Buffer.alloc(8);
  tc.writeBigUInt64BE(BigInt(timecode));
  return Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0xff]), element(MkvId.Timecode, tc)]);
}

/** Splits `data` into chunks of the given sizes, cycling through them. */
export function chunked(data: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (let at = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}
