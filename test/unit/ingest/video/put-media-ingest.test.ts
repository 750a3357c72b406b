import { describe, expect, it } from 'vitest';
import { encodeCluster, MkvReader } from '../../../../src/media/mkv/index.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { ingestHarness, START_MS, type IngestHarness } from './helpers/ingest-harness.js';
import { chunked, emptyCluster, fakeStream, fragment, headerWithTracks, metadataTags, streamHeader } from './helpers/mkv-parts.js';

const errorOf = (h: IngestHarness): { ErrorId?: number; ErrorCode?: string; FragmentTimecode?: number; FragmentNumber?: string } | undefined => h.ofType('ERROR')[0];

/** The frames a stored fragment holds, read back with the MKV reader. */
async function storedFrames(h: IngestHarness, index: number): Promise<number[]> {
  const record = h.store.fragments()[index]!;
  const reader = new MkvReader();
  const segment = Buffer.from([0x18, 0x53, 0x80, 0x67, 0xff]);
  return [...reader.push(Buffer.concat([segment, await h.store.read(record)])), ...reader.end()].flatMap((e) => (e.type === 'simpleBlock' ? [e.timecode] : []));
}

describe('PutMedia ingest: ACKs per fragment', () => {
  it('acknowledges every fragment BUFFERING, RECEIVED, then PERSISTED, with 47-digit fragment numbers increasing per fragment', async () => {
    const h = ingestHarness();
    const { header, fragments, timecodes } = fakeStream(START_MS, 4);
    await h.feed([header, ...fragments]);
    for (const tc of timecodes) {
      expect(h.acks.filter((a) => a.FragmentTimecode === tc).map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    }
    const numbers = h.ofType('BUFFERING').map((a) => a.FragmentNumber!);
    expect(numbers.every((n) => /^\d{47}$/.test(n))).toBe(true);
    for (let i = 1; i < numbers.length; i++) expect(BigInt(numbers[i]!) > BigInt(numbers[i - 1]!)).toBe(true);
    // Each event names the same number for its fragment.
    for (const a of h.acks) expect(a.FragmentNumber).toBe(numbers[timecodes.indexOf(a.FragmentTimecode!)]);
    // One JSON object per line, the number quoted (a JS number would round it).
    expect(h.lines.every((l) => l.endsWith('}\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(h.lines[0]).toMatch(/^\{"EventType":"BUFFERING","FragmentTimecode":\d+,"FragmentNumber":"\d{47}"\}\n$/);
    expect(h.ofType('ERROR')).toEqual([]);
  });

  it('answers RECEIVED for a fragment only once the next cluster begins (or the body ends), since clusters have no size', async () => {
    const h = ingestHarness();
    const { header, fragments } = fakeStream(START_MS, 2);
    await h.feed([header, fragments[0]!], false);
    expect(h.acks.map((a) => a.EventType)).toEqual(['BUFFERING']);
    await h.feed([fragments[1]!.subarray(0, 20)], false);
    expect(h.acks.map((a) => `${a.EventType}@${a.FragmentTimecode! - START_MS}`).sort()).toEqual(['BUFFERING@0', 'BUFFERING@1000', 'PERSISTED@0', 'RECEIVED@0']);
    await h.feed([fragments[1]!.subarray(20)], true);
    expect(h.acks.filter((a) => a.FragmentTimecode === START_MS + 1000).map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
  });

  it('finds the same fragments and frames whatever the chunking: one byte at a time or 50 seeded random cuts', async () => {
    const { header, fragments } = fakeStream(START_MS, 3, { frameBytes: 37 });
    const body = Buffer.concat([header, ...fragments]);
    const whole = ingestHarness();
    await whole.feed([body]);
    const expected = whole.acks.map((a) => `${a.EventType}@${a.FragmentTimecode}`);
    const bytes = ingestHarness();
    await bytes.feed(chunked(body, [1]));
    expect(bytes.acks.map((a) => `${a.EventType}@${a.FragmentTimecode}`)).toEqual(expected);
    const rng = seededRng(7);
    for (let run = 0; run < 50; run++) {
      const h = ingestHarness();
      await h.feed(chunked(body, Array.from({ length: 20 }, () => 1 + rng.int(3000))));
      expect(h.acks.map((a) => `${a.EventType}@${a.FragmentTimecode}`)).toEqual(expected);
      expect(await storedFrames(h, 2)).toEqual(await storedFrames(whole, 2));
    }
  });

  it('stores each fragment as one Cluster with the frames that were sent, timestamps and duration', async () => {
    const h = ingestHarness();
    h.clock.advance(5_000);
    const { header, fragments } = fakeStream(START_MS, 2);
    await h.feed([header, ...fragments]);
    expect(await storedFrames(h, 1)).toEqual(Array.from({ length: 25 }, (_, i) => START_MS + 1000 + i * 40));
    const [first] = h.store.fragments();
    expect(first).toMatchObject({ fragmentTimecode: START_MS, producerTimestampMs: START_MS, serverTimestampMs: START_MS + 5_000, durationMs: 1000, frameCount: 25, persisted: true, ordinal: 1 });
  });

  it('accepts clusters of known size (as the kedge sink writes them) and closes a fragment at an end-of-fragment Tags element', async () => {
    const h = ingestHarness();
    const header = streamHeader();
    const known = fragment(START_MS); // encodeCluster writes an unknown size: give it a known one
    const sized = Buffer.concat([known.subarray(0, 4), Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0]), known.subarray(5)]);
    sized.writeUInt32BE(known.length - 5, 8);
    const endOfFragment = Buffer.from([0x12, 0x54, 0xc3, 0x67, 0x80]); // empty Tags: the SDK's EoFR marker
    // No end of body: the known size and the EoFR Tags are what complete the two fragments.
    await h.feed([header, sized, fragment(START_MS + 1000), endOfFragment], false);
    for (const tc of [START_MS, START_MS + 1000]) {
      expect(h.acks.filter((a) => a.FragmentTimecode === tc).map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    }
  });

  it('sends RECEIVED but never PERSISTED while the stream keeps no data (retention 0), and keeps the fragment in the host buffer', async () => {
    const h = ingestHarness({ retentionHours: 0 });
    const { header, fragments } = fakeStream(START_MS, 2);
    await h.feed([header, ...fragments]);
    expect(h.acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'BUFFERING', 'RECEIVED']);
    expect(h.store.fragments().map((f) => f.persisted)).toEqual([false, false]);
  });

  it('takes producer timestamps from the cluster timecode (ABSOLUTE) or from the start timestamp plus the timecode (RELATIVE)', async () => {
    const relative = ingestHarness({ timecodeType: 'RELATIVE', producerStartMs: 1_600_000_000_000 });
    await relative.feed([streamHeader(), fragment(0), fragment(2000)]);
    expect(relative.store.fragments().map((f) => [f.fragmentTimecode, f.producerTimestampMs])).toEqual([
      [0, 1_600_000_000_000],
      [2000, 1_600_000_002_000],
    ]);
    expect(relative.ofType('RECEIVED').map((a) => a.FragmentTimecode)).toEqual([0, 2000]);
  });

  it('starts new fragments under a new stream header when the producer restarts its MKV stream mid-upload', async () => {
    const h = ingestHarness();
    await h.feed([streamHeader('a'), fragment(START_MS), streamHeader('b'), fragment(START_MS + 1000)]);
    const [a, b] = h.store.fragments();
    expect(a!.headerId).not.toBe(b!.headerId);
    expect(h.ofType('PERSISTED')).toHaveLength(2);
  });
});

describe('PutMedia ingest: ERROR ACKs', () => {
  it('ERROR 4002 MAX_FRAGMENT_DURATION_REACHED when a fragment runs past 10 s', async () => {
    const h = ingestHarness();
    const open = await h.feed([streamHeader(), fragment(START_MS, { frames: 12, frameMs: 1000 })]);
    expect(open).toBe(false);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4002, ErrorCode: 'MAX_FRAGMENT_DURATION_REACHED', FragmentTimecode: START_MS });
    expect(h.store.fragments()).toHaveLength(0);
  });

  it('ERROR 4001 MAX_FRAGMENT_SIZE_REACHED as soon as a fragment grows past 50 MB, before it is complete', async () => {
    const h = ingestHarness();
    const big = fragment(START_MS, { frames: 2, frameBytes: 26 * 1000 * 1000 });
    const open = await h.feed(chunked(Buffer.concat([streamHeader(), big]), [1_000_000]), false);
    expect(open).toBe(false);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4001, ErrorCode: 'MAX_FRAGMENT_SIZE_REACHED', FragmentTimecode: START_MS });
    expect(h.ofType('RECEIVED')).toEqual([]);
  });

  it('ERROR 4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS for a fragment timecode below or equal to the previous one', async () => {
    for (const tc of [START_MS - 1000, START_MS]) {
      const h = ingestHarness();
      await h.feed([streamHeader(), fragment(START_MS), fragment(tc), fragment(START_MS + 5000)]);
      const error = errorOf(h)!;
      expect(error).toMatchObject({ ErrorId: 4004, ErrorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', FragmentTimecode: tc });
      expect(error.FragmentNumber).toMatch(/^\d{47}$/);
      // The fragment before is stored; nothing after the error is read.
      expect(h.store.fragments().map((f) => f.fragmentTimecode)).toEqual([START_MS]);
      expect(h.ofType('BUFFERING')).toHaveLength(1);
    }
  });

  it("ERROR 4004 when a fragment's first frame is not after the previous fragment's last frame", async () => {
    const h = ingestHarness();
    // Fragment 1's frames span 0..960 ms; fragment 2's cluster starts at 1000 ms but its first frame sits at 960 ms.
    const frame = (at: number, keyframe: boolean) => ({ timecode: START_MS + at, keyframe, payload: Buffer.alloc(10) });
    const second = Buffer.from(encodeCluster(START_MS + 1000, [frame(960, true), frame(1040, false)]));
    await h.feed([streamHeader(), fragment(START_MS), second]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4004, FragmentTimecode: START_MS + 1000 });
  });

  it('ERROR 4006 INVALID_MKV_DATA for bytes that are not MKV, naming no fragment when none is open', async () => {
    const h = ingestHarness();
    await h.feed([Buffer.from('this is not a matroska stream')]);
    expect(h.acks).toEqual([{ EventType: 'ERROR', ErrorCode: 'INVALID_MKV_DATA', ErrorId: 4006 }]);
  });

  it('ERROR 4006 naming the open fragment when the body ends inside it', async () => {
    const h = ingestHarness();
    const f = fragment(START_MS);
    await h.feed([streamHeader(), f.subarray(0, f.length - 30)]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4006, FragmentTimecode: START_MS });
    expect(h.store.fragments()).toHaveLength(0);
  });

  it('ERROR 4006 for a cluster before any Tracks', async () => {
    const h = ingestHarness();
    const header = streamHeader();
    await h.feed([header.subarray(0, header.indexOf(Buffer.from([0x16, 0x54, 0xae, 0x6b]))), fragment(START_MS)]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4006 });
  });

  it('ERROR 4010 TRACK_NUMBER_MISMATCH for a frame on a track Tracks did not declare', async () => {
    const h = ingestHarness();
    await h.feed([streamHeader(), fragment(START_MS, { trackNumber: 2 })]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4010, ErrorCode: 'TRACK_NUMBER_MISMATCH', FragmentTimecode: START_MS });
  });

  it('ERROR 4011 FRAMES_MISSING_FOR_TRACK for a fragment without frames, or without frames of a declared track', async () => {
    const empty = ingestHarness();
    await empty.feed([streamHeader(), emptyCluster(START_MS), fragment(START_MS + 1000)]);
    expect(errorOf(empty)).toMatchObject({ ErrorId: 4011, ErrorCode: 'FRAMES_MISSING_FOR_TRACK', FragmentTimecode: START_MS });
    const twoTracks = ingestHarness();
    await twoTracks.feed([headerWithTracks([1, 2]), fragment(START_MS), fragment(START_MS + 1000)]);
    expect(errorOf(twoTracks)).toMatchObject({ ErrorId: 4011, FragmentTimecode: START_MS });
  });

  it('ERROR 4012 MORE_THAN_ALLOWED_TRACKS_FOUND for more than three tracks', async () => {
    const h = ingestHarness();
    await h.feed([headerWithTracks([1, 2, 3, 4]), fragment(START_MS)]);
    expect(h.acks).toEqual([{ EventType: 'ERROR', ErrorCode: 'MORE_THAN_ALLOWED_TRACKS_FOUND', ErrorId: 4012 }]);
  });

  it('ERROR 4009 FRAGMENT_METADATA_LIMIT_REACHED for more than ten metadata tags on a fragment; the SDK end-of-fragment tags do not count', async () => {
    const ok = ingestHarness();
    await ok.feed([streamHeader(), metadataTags(10), fragment(START_MS), Buffer.from([0x12, 0x54, 0xc3, 0x67, 0x80])]);
    expect(ok.ofType('ERROR')).toEqual([]);
    const h = ingestHarness();
    await h.feed([streamHeader(), metadataTags(11), fragment(START_MS)]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4009, ErrorCode: 'FRAGMENT_METADATA_LIMIT_REACHED' });
  });

  it('ERROR 4003 MAX_CONNECTION_DURATION_REACHED for data arriving once the connection is 45 minutes old, naming the open fragment', async () => {
    const h = ingestHarness();
    const f = fragment(START_MS + 1000);
    await h.feed([streamHeader(), fragment(START_MS), f.subarray(0, 40)], false);
    h.clock.advance(45 * 60_000);
    expect(h.ingest.push(f.subarray(40))).toBe(false);
    await h.ingest.settled();
    expect(errorOf(h)).toMatchObject({ ErrorId: 4003, ErrorCode: 'MAX_CONNECTION_DURATION_REACHED', FragmentTimecode: START_MS + 1000 });
    expect(h.store.fragments().map((r) => r.fragmentTimecode)).toEqual([START_MS]);
  });

  it('ERROR 5001 ARCHIVAL_ERROR when the store cannot keep a complete fragment', async () => {
    const h = ingestHarness();
    await h.feed([streamHeader(), fragment(START_MS)], false);
    await h.store.close();
    await h.feed([fragment(START_MS + 1000)], false);
    expect(h.acks.filter((a) => a.FragmentTimecode === START_MS).map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'ERROR']);
    expect(errorOf(h)).toMatchObject({ ErrorId: 5001, ErrorCode: 'ARCHIVAL_ERROR' });
  });

  it('still reports PERSISTED for the fragments completed before an error, names the open fragment in the error, and reads nothing after it', async () => {
    const h = ingestHarness();
    const open = await h.feed([streamHeader(), fragment(START_MS), fragment(START_MS + 1000), Buffer.from([0x00, 0x01, 0x02]), fragment(START_MS + 2000)]);
    expect(open).toBe(false);
    // The garbage lands inside the second (unknown-size) cluster: that fragment is the one in error.
    expect(h.ofType('PERSISTED').map((a) => a.FragmentTimecode)).toEqual([START_MS]);
    expect(errorOf(h)).toMatchObject({ ErrorId: 4006, FragmentTimecode: START_MS + 1000 });
    expect(h.acks.filter((a) => a.EventType === 'BUFFERING')).toHaveLength(2);
    expect(h.ingest.push(fragment(START_MS + 3000))).toBe(false);
  });

  it('never throws on damaged input: 300 seeded flips, cuts and splices end in ACKs with at most one ERROR, and nothing after it but PERSISTED', async () => {
    const { header, fragments } = fakeStream(START_MS, 3, { frameBytes: 50, frames: 5 });
    const body = Buffer.concat([header, ...fragments]);
    const rng = seededRng(2026);
    for (let run = 0; run < 300; run++) {
      const damaged = Buffer.from(body);
      const kind = run % 3;
      if (kind === 0) for (let i = 0; i < 1 + rng.int(4); i++) damaged[rng.int(damaged.length)] = rng.int(256);
      const input = kind === 1 ? damaged.subarray(0, rng.int(damaged.length)) : kind === 2 ? Buffer.concat([damaged.subarray(0, rng.int(damaged.length)), damaged.subarray(rng.int(damaged.length))]) : damaged;
      const h = ingestHarness();
      await h.feed(chunked(input, [1 + rng.int(500)]));
      const errors = h.acks.filter((a) => a.EventType === 'ERROR');
      expect(errors.length).toBeLessThanOrEqual(1);
      const at = h.acks.findIndex((a) => a.EventType === 'ERROR');
      if (at >= 0) expect(h.acks.slice(at + 1).every((a) => a.EventType === 'PERSISTED')).toBe(true);
    }
  });
});
