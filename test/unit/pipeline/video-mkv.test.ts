import { describe, expect, it } from 'vitest';
import { lengthPrefixedPayload, type NalUnit } from '../../../src/media/h264/index.js';
import { encodeCluster as encodeUnknownSizeCluster } from '../../../src/media/mkv/index.js';
import { ClusterBuilder, type FragmentBuffers } from '../../../src/pipeline/video-mkv.js';

const nal = (type: number, bytes: number, fill: number): NalUnit => {
  const data = Buffer.alloc(bytes, fill);
  data[0] = (3 << 5) | type;
  return { type, refIdc: 3, data, startCodeLength: 4 };
};

interface Frame {
  readonly timecode: number;
  readonly keyframe: boolean;
  readonly nalUnits: NalUnit[];
}

const T0 = 1_736_942_400_000;
/** A keyframe group: SPS, PPS and an IDR slice, then P slices, 33 ms apart. */
function frames(count: number, sliceBytes: number): Frame[] {
  return Array.from({ length: count }, (_, i) => ({
    timecode: T0 + i * 33,
    keyframe: i === 0,
    nalUnits: i === 0 ? [nal(7, 12, 1), nal(8, 4, 2), nal(5, sliceBytes * 3, 3)] : [nal(1, sliceBytes, i % 256)],
  }));
}

/** Buffers of exactly the size asked for, with every acquire and release recorded. */
function recordingBuffers(): FragmentBuffers & { asked: number[]; released: ArrayBufferLike[] } {
  const asked: number[] = [];
  const released: ArrayBufferLike[] = [];
  return {
    asked,
    released,
    acquire: (bytes) => {
      asked.push(bytes);
      return Buffer.allocUnsafeSlow(bytes);
    },
    release: (b) => released.push(b.buffer),
  };
}

function build(builder: ClusterBuilder, group: readonly Frame[]): Uint8Array {
  builder.start(group[0]!.timecode);
  for (const f of group) builder.append(f.timecode, f.keyframe, f.nalUnits);
  return builder.finish();
}

const reference = (group: readonly Frame[]): Buffer =>
  Buffer.from(encodeUnknownSizeCluster(group[0]!.timecode, group.map((f) => ({ timecode: f.timecode, keyframe: f.keyframe, payload: lengthPrefixedPayload(f.nalUnits) }))).subarray(5));

describe('ClusterBuilder', () => {
  it('writes frame by frame the elements media/mkv writes, byte for byte, in a cluster whose size is known', () => {
    const group = frames(10, 700);
    const bytes = build(new ClusterBuilder(), group);
    expect(Buffer.from(bytes.subarray(12)).equals(reference(group))).toBe(true);
    expect(Number(Buffer.from(bytes).readBigUInt64BE(4) & 0x00ff_ffff_ffff_ffffn)).toBe(bytes.length - 12);
  });

  it('moves a fragment that outgrows its buffer into a larger one, keeping what was written, and gives the small one back', () => {
    const buffers = recordingBuffers();
    const group = frames(30, 20_000); // ~640 KB: more than the first 256 KiB buffer
    const bytes = build(new ClusterBuilder(buffers), group);
    expect(Buffer.from(bytes.subarray(12)).equals(reference(group))).toBe(true);
    expect(buffers.asked[0]).toBe(256 * 1024);
    expect(buffers.asked.length).toBeGreaterThan(1);
    expect(buffers.released).toHaveLength(buffers.asked.length - 1);
    expect(buffers.released).not.toContain(bytes.buffer);
  });

  it('asks for a buffer the size of the last fragment, since one camera sends groups of about one size', () => {
    const buffers = recordingBuffers();
    const builder = new ClusterBuilder(buffers);
    const first = build(builder, frames(5, 1000));
    buffers.asked.length = 0;
    build(builder, frames(5, 1000));
    expect(buffers.asked).toEqual([first.length]);
  });

  it('refuses a first frame that is not a keyframe, and a frame more than 32.767 s from the cluster', () => {
    const builder = new ClusterBuilder();
    builder.start(T0);
    expect(() => builder.append(T0, false, [nal(1, 10, 0)])).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
    builder.append(T0, true, [nal(5, 10, 0)]);
    expect(() => builder.append(T0 + 32_768, false, [nal(1, 10, 0)])).toThrow(expect.objectContaining({ code: 'MKV_BLOCK_TIMECODE_RANGE' }));
    expect(() => builder.start(T0 + 100)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });
});
