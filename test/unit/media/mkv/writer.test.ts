import { describe, expect, it } from 'vitest';
import { encodeCluster, encodeClusterStart, encodeSimpleBlock } from '../../../../src/media/mkv/cluster.js';
import { MkvReader } from '../../../../src/media/mkv/reader.js';
import type { MkvEvent } from '../../../../src/media/mkv/reader-events.js';
import { encodeStreamHeader } from '../../../../src/media/mkv/stream-header.js';
import { checkFragmentMetadata, encodeTags } from '../../../../src/media/mkv/tags.js';
import { sizeVintLength, writeSizeVint } from '../../../../src/media/mkv/vint.js';

const AVCC = Buffer.from('0164001effe1000467640028010004 68ee3c80'.replace(/ /g, ''), 'hex');
const UID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const header = (overrides: Partial<Parameters<typeof encodeStreamHeader>[0]> = {}): Uint8Array =>
  encodeStreamHeader({ track: { codecPrivate: AVCC, width: 640, height: 480 }, segmentUid: UID, ...overrides });

function read(bytes: Uint8Array): MkvEvent[] {
  const r = new MkvReader();
  return r.end(r.push(bytes));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('MKV stream header', () => {
  it('starts with the EBML header bytes the KVS producer writes, then a Segment of unknown size', () => {
    // kvs.md §2.3 (PIC MkvStatics.c): 1A45DFA3, size 0xA3 (35), versions 1/1/4/8, "matroska", 2/2.
    const expected = '1a45dfa3a3' + '428681014 2f781014 2f281044 2f38108'.replace(/ /g, '') + '4282886d6174726f736b61' + '42878102' + '42858102' + '18538067ff';
    expect(hex(header().subarray(0, 45))).toBe(expected);
  });

  it('writes Info with the 16-byte SegmentUID, TimecodeScale 1,000,000 and the app names', () => {
    const info = read(header({ muxingApp: 'kedge-test', writingApp: 'kedge 0.1.0', title: 'front door' })).find((e) => e.type === 'info');
    expect(info).toMatchObject({ timecodeScaleNs: 1_000_000, muxingApp: 'kedge-test', writingApp: 'kedge 0.1.0', title: 'front door' });
    expect(info?.type === 'info' && hex(info.segmentUid!)).toBe(hex(UID));
  });

  it('generates a fresh random SegmentUID when none is given, as the producer does', () => {
    const uids = [0, 1].map(() => {
      const info = read(encodeStreamHeader({ track: { codecPrivate: AVCC, width: 2, height: 2 } })).find((e) => e.type === 'info');
      return info?.type === 'info' ? hex(info.segmentUid!) : '';
    });
    expect(uids[0]).toHaveLength(32);
    expect(uids[0]).not.toBe(uids[1]);
  });

  it('declares one H.264 video track: number 1, type 1, V_MPEG4/ISO/AVC, the avcC as CodecPrivate, the pixel size', () => {
    const tracks = read(header()).find((e) => e.type === 'tracks');
    expect(tracks?.type === 'tracks' && tracks.tracks).toEqual([
      { number: 1, uid: 1n, type: 1, codecId: 'V_MPEG4/ISO/AVC', name: 'kvs_video_track', codecPrivate: new Uint8Array(AVCC), video: { pixelWidth: 640, pixelHeight: 480 } },
    ]);
  });

  it('rejects header options that MKV or KVS cannot carry, saying which', () => {
    const track = { codecPrivate: AVCC, width: 640, height: 480 };
    const bad = [
      { track, segmentUid: new Uint8Array(15) },
      { track: { ...track, width: 0 } },
      { track: { ...track, height: 70_000 } },
      { track: { ...track, codecPrivate: new Uint8Array(0) } },
      { track: { ...track, name: 'x'.repeat(33) } },
      { track, timecodeScaleNs: 50 },
    ];
    for (const options of bad) expect(() => encodeStreamHeader(options)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });
});

describe('MKV clusters', () => {
  it('writes an unknown-size Cluster with an absolute Timecode and SimpleBlocks with 16-bit relative timecodes and the keyframe flag', () => {
    const bytes = encodeCluster(1_700_000_000_000, [
      { timecode: 1_700_000_000_000, keyframe: true, payload: Uint8Array.of(0, 0, 0, 1, 0x65) },
      { timecode: 1_700_000_000_033, keyframe: false, payload: Uint8Array.of(0, 0, 0, 1, 0x41) },
    ]);
    expect(hex(bytes)).toBe(
      '1f43b675ff' + 'e786' + '018bcfe56800' + // Cluster, unknown size, Timecode 1700000000000 in 6 bytes
        'a389' + '81' + '0000' + '80' + '0000000165' + // SimpleBlock: track 1, +0, keyframe
        'a389' + '81' + '0021' + '00' + '0000000141', // SimpleBlock: track 1, +33
    );
  });

  it('produces the same bytes when streamed as a cluster start and single blocks', () => {
    const frames = [0, 40, 80].map((t, i) => ({ timecode: 5_000 + t, keyframe: i === 0, payload: new Uint8Array(300 + i).fill(i + 1) }));
    const streamed = Buffer.concat([encodeClusterStart(5_000), ...frames.map((f) => encodeSimpleBlock(5_000, f))]);
    expect(hex(streamed)).toBe(hex(encodeCluster(5_000, frames)));
  });

  it('writes a payload object in place without changing its bytes', () => {
    const data = Uint8Array.of(9, 8, 7);
    const viaObject = encodeSimpleBlock(0, { timecode: 0, keyframe: true, payload: { byteLength: 3, writeTo: (t, o) => (t.set(data, o), o + 3) } });
    expect(hex(viaObject)).toBe(hex(encodeSimpleBlock(0, { timecode: 0, keyframe: true, payload: data })));
    const liar = { byteLength: 4, writeTo: (t: Uint8Array, o: number) => (t.set(data, o), o + 3) };
    expect(() => encodeSimpleBlock(0, { timecode: 0, keyframe: true, payload: liar })).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });

  it('accepts block offsets from -32768 to 32767 and refuses a frame further from its cluster', () => {
    const frame = (timecode: number) => ({ timecode, keyframe: false, payload: Uint8Array.of(1) });
    expect(hex(encodeSimpleBlock(40_000, frame(40_000 + 32_767))).slice(6, 10)).toBe('7fff');
    expect(hex(encodeSimpleBlock(40_000, frame(40_000 - 32_768))).slice(6, 10)).toBe('8000');
    expect(() => encodeSimpleBlock(40_000, frame(40_000 + 32_768))).toThrow(expect.objectContaining({ code: 'MKV_BLOCK_TIMECODE_RANGE' }));
    expect(() => encodeCluster(0, [{ ...frame(0), keyframe: true }, frame(40_000)])).toThrow(expect.objectContaining({ code: 'MKV_BLOCK_TIMECODE_RANGE' }));
  });

  it('refuses a whole cluster that is empty or does not start with a keyframe, since a KVS fragment must decode on its own', () => {
    expect(() => encodeCluster(0, [])).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
    expect(() => encodeCluster(0, [{ timecode: 0, keyframe: false, payload: Uint8Array.of(1) }])).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });

  it('refuses negative or fractional cluster timecodes and track numbers outside 1..126', () => {
    expect(() => encodeClusterStart(-1)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
    expect(() => encodeClusterStart(1.5)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
    expect(() => encodeSimpleBlock(0, { timecode: 0, keyframe: true, payload: Uint8Array.of(1), trackNumber: 127 })).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });

  it('sizes blocks with the shortest vint at every length boundary, so the reader gets the payload back', () => {
    for (const size of [0, 122, 123, 124, 16_378, 16_379, 16_380, 2_097_146, 2_097_147]) {
      const payload = new Uint8Array(size).fill(0xab);
      const events = read(Buffer.concat([header(), encodeCluster(0, [{ timecode: 0, keyframe: true, payload }])]));
      const block = events.find((e) => e.type === 'simpleBlock');
      expect(block?.type === 'simpleBlock' && block.payload.length).toBe(size);
    }
  });
});

describe('EBML size vints', () => {
  it('uses n bytes up to 2^(7n) - 2, since all ones means unknown size', () => {
    expect([0, 126, 127, 16_382, 16_383, 2 ** 21 - 2, 2 ** 21 - 1, 2 ** 49, Number.MAX_SAFE_INTEGER].map(sizeVintLength)).toEqual([1, 1, 2, 2, 3, 3, 4, 8, 8]);
    const out = new Uint8Array(8);
    expect(hex(out.subarray(0, writeSizeVint(out, 0, 127)))).toBe('407f');
    expect(hex(out.subarray(0, writeSizeVint(out, 0, 5, 8)))).toBe('0100000000000005');
    expect(hex(out.subarray(0, writeSizeVint(out, 0, Number.MAX_SAFE_INTEGER)))).toBe('011fffffffffffff');
  });
});

describe('MKV fragment tags', () => {
  it('writes one Tags > Tag > SimpleTag per entry, as the producer does', () => {
    const bytes = encodeTags([
      { name: 'camera', value: 'front' },
      { name: 'site', value: 'north' },
    ]);
    expect(hex(bytes.subarray(0, 4))).toBe('1254c367');
    const events = read(Buffer.concat([header(), encodeClusterStart(0), bytes]));
    expect(events.filter((e) => e.type === 'tags').map((e) => e.type === 'tags' && e.tags)).toEqual([[{ name: 'camera', value: 'front' }], [{ name: 'site', value: 'north' }]]);
  });

  it('can group every SimpleTag under one Tag, as GetMedia carries the AWS_KINESISVIDEO_* tags', () => {
    const tags = [
      { name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: '91343852333181432392682062609776234230823574155' },
      { name: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP', value: '1519423067.997' },
    ];
    const events = read(Buffer.concat([header(), encodeTags(tags, 'grouped')]));
    expect(events.filter((e) => e.type === 'tags').map((e) => e.type === 'tags' && e.tags)).toEqual([tags]);
    expect(encodeTags([], 'grouped')).toHaveLength(0);
  });

  it('refuses fragment metadata KVS would reject: reserved AWS names, long names or values, more than 10', () => {
    expect(() => checkFragmentMetadata([{ name: 'camera', value: 'x'.repeat(256) }])).not.toThrow();
    const bad = [
      [{ name: 'AWS_KINESISVIDEO_NOTIFICATION', value: '' }],
      [{ name: 'n'.repeat(129), value: '' }],
      [{ name: '', value: 'v' }],
      [{ name: 'camera', value: 'é'.repeat(129) }], // 258 bytes in UTF-8
      Array.from({ length: 11 }, (_, i) => ({ name: `t${i}`, value: '' })),
    ];
    for (const tags of bad) expect(() => checkFragmentMetadata(tags)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_METADATA' }));
  });
});
