import { describe, expect, it } from 'vitest';
import { MkvError } from '../../../../src/media/mkv/errors.js';
import { MkvReader } from '../../../../src/media/mkv/reader.js';
import type { MkvEvent } from '../../../../src/media/mkv/reader-events.js';
import { encodeCluster, encodeClusterStart } from '../../../../src/media/mkv/cluster.js';
import { encodeStreamHeader } from '../../../../src/media/mkv/stream-header.js';
import { encodeTags } from '../../../../src/media/mkv/tags.js';
import { readFixture } from '../support/fixtures.js';
import { randomChunks, seededRng } from '../support/seeded.js';

function readAll(chunks: Iterable<Uint8Array>, options?: ConstructorParameters<typeof MkvReader>[0]): MkvEvent[] {
  const r = new MkvReader(options);
  const out: MkvEvent[] = [];
  for (const c of chunks) r.push(c, out);
  return r.end(out);
}

type Of<T extends MkvEvent['type']> = Extract<MkvEvent, { type: T }>;
const only = <T extends MkvEvent['type']>(events: MkvEvent[], type: T): Of<T>[] => events.filter((e): e is Of<T> => e.type === type);

/** Frames per cluster, in order. */
function blocksPerCluster(events: MkvEvent[]): number[] {
  return only(events, 'clusterEnd').map((e) => e.blockCount);
}

/** A comparable digest of events (payloads as lengths and first bytes). */
function digest(events: MkvEvent[]): unknown[] {
  return events.map((e) => (e.type === 'simpleBlock' ? { ...e, payload: [e.payload.length, e.payload[0], e.payload[e.payload.length - 1]] } : e));
}

/** Event type, offset and the one number that identifies it, cheap to compare in bulk. */
const brief = (e: MkvEvent): string =>
  `${e.type}@${e.offset}:${e.type === 'simpleBlock' ? `${e.timecode}/${e.payload.length}` : e.type === 'clusterStart' ? e.timecode : e.type === 'tags' ? e.tags.length : ''}`;

const AVCC = Buffer.from('0164001effe100046764002801000468ee3c80', 'hex');
const HEADER = encodeStreamHeader({ track: { codecPrivate: AVCC, width: 320, height: 240 }, segmentUid: new Uint8Array(16) });
const frame = (timecode: number, keyframe: boolean, size = 50) => ({ timecode, keyframe, payload: new Uint8Array(size).fill(timecode & 0xff) });

/** A stream made by our writer: header, three clusters of 3 frames, tags after each. */
function ownStream(): Buffer {
  const parts: Uint8Array[] = [HEADER];
  for (const start of [1_000, 2_000, 3_000]) {
    parts.push(encodeCluster(start, [frame(start, true, 700), frame(start + 33, false), frame(start + 67, false)]));
    parts.push(encodeTags([{ name: 'camera', value: 'front' }]));
  }
  return Buffer.concat(parts);
}

const expectInvalid = (work: () => unknown, offset?: number): MkvError => {
  let caught: unknown;
  try {
    work();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MkvError);
  const e = caught as MkvError;
  expect(e.code).toBe('MKV_INVALID');
  if (offset !== undefined) expect(e.offset).toBe(offset);
  return e;
};

describe('MkvReader on real KVS output', () => {
  it('reads the 3 GetMedia fragments: one MKV document each, clusters at 0/1999/3999 ms with 59 frames, AWS tags before and after', () => {
    const events = readAll([readFixture('kvs/getmedia-3-fragments-640x480.mkv')]);
    expect(only(events, 'ebmlHeader')).toHaveLength(3);
    expect(only(events, 'segmentStart').map((e) => e.size)).toEqual([undefined, undefined, undefined]);
    expect(only(events, 'segmentEnd').map((e) => e.offset)).toEqual([150_022, 314_570, 496_677]);
    expect(only(events, 'clusterStart').map((e) => e.timecode)).toEqual([0, 1_999, 3_999]);
    expect(blocksPerCluster(events)).toEqual([59, 59, 59]);
    const blocks = only(events, 'simpleBlock');
    expect(blocks.filter((b) => b.keyframe).map((b) => b.timecode)).toEqual([0, 1_999, 3_999]);
    expect(blocks.every((b) => b.trackNumber === 1 && !b.fromBlockGroup && b.lacing === 0)).toBe(true);
    expect(blocks[0]!.payload.length).toBe(58_270); // mkvinfo: "Frame with size 58270"
    expect(blocks[1]!.timecode).toBe(22);
    const tracks = only(events, 'tracks')[0]!.tracks[0]!;
    expect(tracks).toMatchObject({ number: 1, codecId: 'V_MPEG4/ISO/AVC', name: 'kinesis_video', video: { pixelWidth: 640, pixelHeight: 480 } });
    expect(tracks.codecPrivate).toHaveLength(29);
    const tagNames = only(events, 'tags').map((e) => e.tags.map((t) => t.name));
    expect(tagNames.slice(0, 2)).toEqual([
      ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', 'AWS_KINESISVIDEO_SERVER_TIMESTAMP', 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP'],
      ['AWS_KINESISVIDEO_MILLIS_BEHIND_NOW', 'AWS_KINESISVIDEO_CONTINUATION_TOKEN'],
    ]);
    expect(only(events, 'tags')[0]!.tags[2]!.value).toBe('1519423067.997');
  });

  it('reads a GetMedia fragment that has no Cluster and still returns its tags', () => {
    const events = readAll([readFixture('kvs/getmedia-empty-fragment-with-tags.mkv')]);
    expect(events.map((e) => e.type)).toEqual(['ebmlHeader', 'segmentStart', 'info', 'tracks', 'tags', 'segmentEnd']);
    expect(only(events, 'tags')[0]!.tags).toEqual([
      { name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: '91343852338378294813695855977007281634605393997' },
      { name: 'AWS_KINESISVIDEO_SERVER_TIMESTAMP', value: '1516124526.822' },
      { name: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP', value: '1515865326.543' },
    ]);
    expect(only(events, 'tracks')[0]!.tracks[0]!.video).toEqual({ pixelWidth: 960, pixelHeight: 720 });
  });

  it('does not assume cluster timecodes increase across fragments (10014, then 0, then 1001)', () => {
    const events = readAll([readFixture('kvs/getmedia-non-increasing-timecode-3frag.mkv')]);
    expect(only(events, 'clusterStart').map((e) => e.timecode)).toEqual([10_014, 0, 1_001]);
    expect(blocksPerCluster(events)).toEqual([30, 30, 30]);
    expect(only(events, 'simpleBlock')[1]!.timecode).toBeGreaterThan(10_014);
  });

  it('reads producer-SDK tags written before Info and after unknown-size clusters (mixed tags, 10 fragments)', () => {
    const events = readAll([readFixture('kvs/producer-sdk-mixed-tags.mkv')]);
    expect(only(events, 'clusterStart').map((e) => e.timecode)).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000]);
    expect(blocksPerCluster(events)).toEqual(Array(10).fill(10));
    // The first document: five user tags come before Info, as the 2018 producer wrote them.
    expect(events.slice(2, 8).map((e) => (e.type === 'tags' ? e.tags[0]!.name : e.type))).toEqual(['testTag_0', 'testTag_1', 'testTag_2', 'testTag_3', 'testTag_4', 'info']);
    // After each cluster: testTag_0..4, then the service's tags; the first Tags ends the unknown-size cluster.
    const firstEnd = events.findIndex((e) => e.type === 'clusterEnd');
    expect(events.slice(firstEnd + 1, firstEnd + 7).map((e) => (e.type === 'tags' ? e.tags.map((t) => t.name).join() : e.type))).toEqual([
      'testTag_0', 'testTag_1', 'testTag_2', 'testTag_3', 'testTag_4', 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW,AWS_KINESISVIDEO_CONTINUATION_TOKEN',
    ]);
    expect(only(events, 'tags').filter((e) => e.tags[0]!.name === 'testTag_3')).toHaveLength(11);
    const info = only(events, 'info')[0]!;
    expect(info).toMatchObject({ title: 'Kinesis Video SDK', writingApp: 'Kinesis Video SDK', timecodeScaleNs: 1_000_000 }); // NUL padding stripped
    expect(only(events, 'tracks')[0]!.tracks[0]!.name).toBe('test track');
  });

  it('reads a producer stream of only tags, without Tracks or Cluster (tags-empty-cluster)', () => {
    const events = readAll([readFixture('kvs/producer-sdk-tags-empty-cluster.mkv')]);
    expect(events.map((e) => e.type)).toEqual(['ebmlHeader', 'segmentStart', 'tags', 'tags', 'tags', 'tags', 'tags', 'segmentEnd']);
    expect(only(events, 'tags').map((e) => e.tags)).toEqual([0, 1, 2, 3, 4].map((i) => [{ name: `testTag_${i}`, value: `testTag_${i}_Value` }]));
    expect(only(events, 'ebmlHeader')[0]).toMatchObject({ docType: 'matroska', docTypeVersion: 2, docTypeReadVersion: 2 });
  });

  it('yields identical events whatever the chunk sizes', () => {
    for (const name of ['getmedia-3-fragments-640x480.mkv', 'producer-sdk-mixed-tags.mkv', 'getmedia-non-increasing-timecode-3frag.mkv']) {
      const bytes = readFixture(`kvs/${name}`);
      const whole = digest(readAll([bytes]));
      for (const seed of [21, 22]) expect(digest(readAll(randomChunks(bytes, seededRng(seed), 5000)))).toEqual(whole);
    }
  });
});

describe('MkvReader on its own writer output', () => {
  it('round-trips header, clusters, frames and tags', () => {
    const events = readAll([ownStream()]);
    expect(events.map((e) => e.type).filter((t) => t !== 'simpleBlock')).toEqual([
      'ebmlHeader', 'segmentStart', 'info', 'tracks',
      'clusterStart', 'clusterEnd', 'tags',
      'clusterStart', 'clusterEnd', 'tags',
      'clusterStart', 'clusterEnd', 'tags',
      'segmentEnd',
    ]);
    const blocks = only(events, 'simpleBlock');
    expect(blocks.map((b) => [b.timecode, b.relativeTimecode, b.keyframe, b.payload.length])).toEqual([
      [1_000, 0, true, 700], [1_033, 33, false, 50], [1_067, 67, false, 50],
      [2_000, 0, true, 700], [2_033, 33, false, 50], [2_067, 67, false, 50],
      [3_000, 0, true, 700], [3_033, 33, false, 50], [3_067, 67, false, 50],
    ]);
    expect(blocks[1]!.payload.every((b) => b === (1_033 & 0xff))).toBe(true);
  });

  it('ends an unknown-size cluster at the next Cluster, at an EBML header, and at the end of input', () => {
    const first = encodeCluster(0, [frame(0, true)]);
    const second = encodeCluster(1_000, [frame(1_000, true)]);
    // A PutMedia reconnect: a fresh header, then the clusters not yet persisted.
    const stream = Buffer.concat([HEADER, first, second, HEADER, second]);
    const events = readAll([stream]);
    expect(events.map((e) => e.type).filter((t) => t !== 'simpleBlock')).toEqual([
      'ebmlHeader', 'segmentStart', 'info', 'tracks', 'clusterStart', 'clusterEnd', 'clusterStart', 'clusterEnd', 'segmentEnd',
      'ebmlHeader', 'segmentStart', 'info', 'tracks', 'clusterStart', 'clusterEnd', 'segmentEnd',
    ]);
    const secondEnd = HEADER.length + first.length + second.length;
    expect(only(events, 'clusterEnd').map((e) => e.offset)).toEqual([HEADER.length + first.length, secondEnd, stream.length]);
    expect(only(events, 'segmentEnd').map((e) => e.offset)).toEqual([secondEnd, stream.length]);
  });

  it('reads frames of a cluster as they arrive, before the cluster ends', () => {
    const r = new MkvReader();
    const events = r.push(Buffer.concat([HEADER, encodeClusterStart(500), encodeCluster(500, [frame(500, true)]).subarray(encodeClusterStart(500).length)]));
    expect(events.map((e) => e.type)).toEqual(['ebmlHeader', 'segmentStart', 'info', 'tracks', 'clusterStart', 'simpleBlock']);
  });

  it('reads BlockGroup frames, with keyframe meaning no ReferenceBlock', () => {
    const block = (tc: number) => [0xa1, 0x85, 0x81, 0x00, tc, 0x00, 0x42];
    const group = (tc: number, ref: boolean) => {
      const body = [...block(tc), ...(ref ? [0xfb, 0x81, 0xfe] : [])];
      return [0xa0, 0x80 | body.length, ...body];
    };
    const cluster = Uint8Array.from([0x1f, 0x43, 0xb6, 0x75, 0xff, 0xe7, 0x81, 0x10, ...group(0, false), ...group(5, true)]);
    const blocks = only(readAll([HEADER, cluster]), 'simpleBlock');
    expect(blocks.map((b) => [b.timecode, b.keyframe, b.fromBlockGroup, [...b.payload]])).toEqual([
      [16, true, true, [0x42]],
      [21, false, true, [0x42]],
    ]);
  });
});

describe('MkvReader on truncated input', () => {
  it('waits for the rest of an incomplete element instead of failing', () => {
    const bytes = ownStream();
    const r = new MkvReader();
    const first = r.push(bytes.subarray(0, HEADER.length + 30)); // in the middle of the first block
    expect(first.map((e) => e.type)).toEqual(['ebmlHeader', 'segmentStart', 'info', 'tracks', 'clusterStart']);
    const rest = r.end(r.push(bytes.subarray(HEADER.length + 30)));
    expect(only(rest, 'simpleBlock')).toHaveLength(9);
  });

  it('reports truncation at end() with the offset of the element the input stopped in', () => {
    const bytes = ownStream();
    const blockOffset = HEADER.length + encodeClusterStart(1_000).length; // the first SimpleBlock
    const events = readAll([bytes.subarray(0, blockOffset + 100)]);
    expect(events.at(-1)).toEqual({ type: 'truncated', offset: blockOffset, elementId: 0xa3, expectedBytes: 3 + 704, availableBytes: 100 });
    expect(events.some((e) => e.type === 'clusterEnd')).toBe(false);
  });

  it('reports truncation or a clean end, never an error, at 300 random cuts of real and own streams', () => {
    for (const bytes of [readFixture('kvs/producer-sdk-mixed-tags.mkv'), ownStream(), readFixture('kvs/getmedia-empty-fragment-with-tags.mkv')]) {
      const complete = readAll([bytes]).map(brief);
      const rng = seededRng(bytes.length);
      const cuts = Array.from({ length: 300 }, () => 1 + Math.floor(rng.next() * (bytes.length - 1)));
      for (const cut of cuts) {
        const events = readAll([bytes.subarray(0, cut)]);
        const last = events.at(-1)!;
        let body = events;
        if (last.type === 'truncated') {
          expect(last.offset).toBeLessThanOrEqual(cut);
          expect(last.offset + last.availableBytes).toBe(cut);
          body = events.slice(0, -1);
        } else {
          // A clean end: the cut fell between elements of an unknown-size Segment (and Cluster).
          expect(last).toEqual({ type: 'segmentEnd', offset: cut });
          while (body.length > 0 && (body.at(-1)!.type === 'segmentEnd' || body.at(-1)!.type === 'clusterEnd') && body.at(-1)!.offset === cut) body = body.slice(0, -1);
        }
        // Whatever was reported before the cut is exactly what the whole stream reports first.
        expect(body.map(brief)).toEqual(complete.slice(0, body.length));
      }
    }
  });

  it('reports a known-size element cut short as truncated, not finished', () => {
    const bytes = readFixture('kvs/getmedia-3-fragments-640x480.mkv');
    // Cut between two blocks inside the first Cluster, which has a known size (149070 bytes from 767).
    const blocks = only(readAll([bytes]), 'simpleBlock');
    const cut = blocks[10]!.offset;
    expect(readAll([bytes.subarray(0, cut)]).at(-1)).toEqual({ type: 'truncated', offset: 767, elementId: 0x1f43b675, expectedBytes: 149_082, availableBytes: cut - 767 });
  });

  it('reports an EBML header without its Segment as truncated', () => {
    const ebmlLength = 40;
    expect(readAll([HEADER.subarray(0, ebmlLength)]).map((e) => e.type)).toEqual(['ebmlHeader', 'truncated']);
  });
});

describe('MkvReader on corrupt input', () => {
  it('throws MKV_INVALID with the byte offset for bytes that cannot start an element', () => {
    expectInvalid(() => readAll([Uint8Array.of(0x00, 0x01, 0x02)]), 0);
    const bytes = Buffer.concat([HEADER, Uint8Array.of(0x00, 0x00)]);
    expectInvalid(() => readAll([bytes]), HEADER.length);
  });

  it('refuses a document that does not start with an EBML header or a Segment', () => {
    const e = expectInvalid(() => readAll([Uint8Array.of(0xa3, 0x81, 0x00)]), 0);
    expect(e.message).toContain('top level');
  });

  it('refuses a DocType other than matroska or webm', () => {
    const ebml = Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84, ...Buffer.from('avi ')]);
    expectInvalid(() => readAll([ebml]));
  });

  it('refuses a bogus element size above maxElementBytes without allocating it', () => {
    // A SimpleBlock claiming 2^50 bytes inside an unknown-size cluster.
    const bogus = Uint8Array.from([0x1f, 0x43, 0xb6, 0x75, 0xff, 0xe7, 0x81, 0x00, 0xa3, 0x01, 0x04, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0x80]);
    const e = expectInvalid(() => readAll([HEADER, bogus]), HEADER.length + 8);
    expect(e.message).toContain('maxElementBytes');
    expectInvalid(() => readAll([HEADER, encodeCluster(0, [frame(0, true, 2_000)])], { maxElementBytes: 1_000 }));
  });

  it('refuses an element that runs past the end of its parent', () => {
    // Tracks of known size 5 holding a TrackEntry that claims 10 bytes: caught while parsing Tracks.
    const tracks = Uint8Array.from([0x16, 0x54, 0xae, 0x6b, 0x85, 0xae, 0x8a, 0xd7, 0x81, 0x01]);
    expectInvalid(() => readAll([HEADER.subarray(0, 45), tracks]), 45 + 5 + 2);
    // A known-size Cluster of 4 bytes holding a 10-byte SimpleBlock.
    const cluster = Uint8Array.from([0x1f, 0x43, 0xb6, 0x75, 0x84, 0xa3, 0x8a]);
    expectInvalid(() => readAll([HEADER, cluster]), HEADER.length + 5);
  });

  it('refuses unknown sizes on elements other than Segment and Cluster, blocks before the Timecode, and reserved IDs', () => {
    expectInvalid(() => readAll([HEADER, Uint8Array.of(0x12, 0x54, 0xc3, 0x67, 0xff)]), HEADER.length);
    expectInvalid(() => readAll([HEADER, Uint8Array.of(0x1f, 0x43, 0xb6, 0x75, 0xff, 0xa3, 0x84, 0x81, 0, 0, 0x80)]), HEADER.length + 5);
    expectInvalid(() => readAll([HEADER, Uint8Array.of(0xff, 0x80)]), HEADER.length);
    expectInvalid(() => readAll([HEADER, Uint8Array.of(0x1f, 0x43, 0xb6, 0x75, 0xff, 0x1f, 0x43, 0xb6, 0x75, 0xff)]), HEADER.length);
  });

  it('keeps throwing the same error after a failure, and refuses use after end()', () => {
    const r = new MkvReader();
    const e = expectInvalid(() => r.push(Uint8Array.of(0x00)));
    expect(() => r.push(HEADER)).toThrow(e);
    const done = new MkvReader();
    done.end();
    expect(() => done.push(HEADER)).toThrow(expect.objectContaining({ code: 'MKV_INVALID_ARGUMENT' }));
  });

  it('never hangs or throws anything but MKV_INVALID when bytes are flipped', () => {
    const rng = seededRng(99);
    const sources = [readFixture('kvs/producer-sdk-mixed-tags.mkv'), ownStream(), readFixture('kvs/getmedia-empty-fragment-with-tags.mkv')];
    let invalid = 0;
    let parsed = 0;
    for (let i = 0; i < 300; i++) {
      const source = sources[i % sources.length]!;
      const bytes = Buffer.from(source);
      const flips = 1 + Math.floor(rng.next() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rng.next() * bytes.length)]! ^= 1 << Math.floor(rng.next() * 8);
      try {
        const events = readAll(randomChunks(bytes, rng, 3000));
        parsed++;
        const blocks = only(events, 'simpleBlock');
        expect(blocks.every((b) => b.payload.length <= bytes.length)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(MkvError);
        expect((err as MkvError).code).toBe('MKV_INVALID');
        expect((err as MkvError).offset).toBeGreaterThanOrEqual(0);
        expect((err as MkvError).offset).toBeLessThanOrEqual(bytes.length);
        invalid++;
      }
    }
    // Both outcomes occur: flips in frame data go unnoticed, flips in element headers are caught.
    expect(invalid).toBeGreaterThan(10);
    expect(parsed).toBeGreaterThan(10);
  });
});
