import { describe, expect, it } from 'vitest';
import { AnnexBAccessUnitParser, type AccessUnit } from '../../../../src/media/h264/access-units.js';
import type { TimestampSource } from '../../../../src/media/h264/timestamps.js';
import type { Clock } from '../../../../src/core/clock.js';
import { randomChunks, seededRng } from '../support/seeded.js';
import { readFixture, readX264Index, RASPIVID, X264_SAMPLE } from '../support/fixtures.js';

function parseAll(chunks: Iterable<Uint8Array>, timestamps: TimestampSource = { kind: 'frameRate', startMs: 0, fps: 25 }, recoveryPointIsKeyframe = false): { aus: AccessUnit[]; parser: AnnexBAccessUnitParser } {
  const parser = new AnnexBAccessUnitParser({ timestamps, recoveryPointIsKeyframe });
  const aus: AccessUnit[] = [];
  for (const c of chunks) parser.push(c, aus);
  parser.end(aus);
  return { aus, parser };
}

/** Annex B bytes from NAL units given as hex, each behind a 4-byte start code. */
function annexB(...nals: string[]): Buffer {
  return Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), Buffer.from(n, 'hex')]));
}

const AUD = '09f0';
/** Real parameter sets of the x264 sample (640x480, VUI timing 25 fps). */
const SPS = '6764001eacb201407b602d4180415000000300100000030328f162e480';
const PPS = '68ebccb22cfdf8f8';
const IDR = '65888040'; // first_mb_in_slice = 0 (top bit of the byte after the header)
const P0 = '419a0010'; // non-IDR slice, first_mb_in_slice = 0
const P_SECOND_SLICE = '41400010'; // non-IDR slice, first_mb_in_slice = 1
const B0 = '01a80010'; // non-reference B slice: first_mb_in_slice 0, slice_type 1
const SEI_RECOVERY = '0606010480'; // payloadType 6 (recovery point), 1 byte, then rbsp trailing bits
const SEI_OTHER = '0605010080'; // payloadType 5 (user data unregistered)

const types = (au: AccessUnit): number[] => au.nalUnits.map((n) => n.type);

describe('access units from Annex B', () => {
  it('groups the KVS sample into the 46 access units of its index, byte for byte', () => {
    const bytes = readFixture(X264_SAMPLE);
    const { aus } = parseAll([bytes]);
    const index = readX264Index();
    expect(aus).toHaveLength(index.length);
    aus.forEach((au, i) => {
      const expected = index[i]!;
      expect(types(au)).toEqual(expected.nalTypes);
      expect(au.keyframe).toBe(expected.keyframe);
      const rebuilt = Buffer.concat(au.nalUnits.flatMap((n) => [Buffer.alloc(n.startCodeLength - 1), Buffer.from([1]), n.data]));
      expect(rebuilt.equals(bytes.subarray(expected.offset, expected.offset + expected.length))).toBe(true);
    });
  });

  it('splits the raspivid capture, which has no AUDs, into 61 pictures with IDRs at 0 and 60', () => {
    const { aus } = parseAll([readFixture(RASPIVID)]);
    expect(aus).toHaveLength(61);
    expect(aus.filter((a) => a.keyframe).map((a) => a.index)).toEqual([0, 60]);
    expect(types(aus[0]!)).toEqual([7, 8, 5]);
    expect(types(aus[60]!)).toEqual([5]); // no SPS/PPS repeated before the second IDR
  });

  it('yields identical access units when fed in random chunk sizes', () => {
    for (const fixture of [X264_SAMPLE, RASPIVID]) {
      const bytes = readFixture(fixture);
      const whole = parseAll([bytes]).aus;
      for (const seed of [11, 12]) {
        const chunked = parseAll(randomChunks(bytes, seededRng(seed), 3000)).aus;
        expect(chunked.map((a) => [a.index, a.keyframe, a.timestampMs, a.byteLength, types(a)])).toEqual(
          whole.map((a) => [a.index, a.keyframe, a.timestampMs, a.byteLength, types(a)]),
        );
        expect(Buffer.concat(chunked.flatMap((a) => a.nalUnits.map((n) => n.data))).equals(Buffer.concat(whole.flatMap((a) => a.nalUnits.map((n) => n.data))))).toBe(true);
      }
    }
  });

  it('keeps the slices of one picture together and starts a new picture at first_mb_in_slice = 0', () => {
    const { aus } = parseAll([annexB(SPS, PPS, IDR, P0, P_SECOND_SLICE, P0)]);
    expect(aus.map(types)).toEqual([[7, 8, 5], [1, 1], [1]]);
  });

  it('starts a new access unit when an IDR slice follows a non-IDR one, even with first_mb_in_slice != 0', () => {
    const { aus } = parseAll([annexB(SPS, PPS, IDR, P0, '65400040')]);
    expect(aus.map(types)).toEqual([[7, 8, 5], [1], [5]]);
  });

  it('gives SPS, PPS, SEI and AUD that follow a picture to the next access unit', () => {
    const { aus } = parseAll([annexB(AUD, SPS, PPS, IDR, SEI_OTHER, P0, SPS, PPS, IDR, AUD, P0)]);
    expect(aus.map(types)).toEqual([[9, 7, 8, 5], [6, 1], [7, 8, 5], [9, 1]]);
    expect(aus.map((a) => a.keyframe)).toEqual([true, false, true, false]);
  });

  it('marks a recovery-point SEI picture as a keyframe only when asked to', () => {
    const stream = annexB(SPS, PPS, IDR, SEI_RECOVERY, P0, SEI_OTHER, P0);
    expect(parseAll([stream]).aus.map((a) => a.keyframe)).toEqual([true, false, false]);
    expect(parseAll([stream], undefined, true).aus.map((a) => a.keyframe)).toEqual([true, true, false]);
  });

  it('flags pictures made of B slices as bidirectional, since decode-order timestamps are wrong for them', () => {
    const { aus } = parseAll([annexB(SPS, PPS, IDR, P0, B0, P0)]);
    expect(aus.map((a) => a.bidirectional)).toEqual([false, false, true, false]);
  });

  it('emits an access unit as soon as the first two bytes of the next picture arrive, and the last one at end()', () => {
    const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 0, fps: 25 } });
    expect(parser.push(annexB(SPS, PPS, IDR))).toEqual([]);
    const next = annexB(P0);
    expect(parser.push(next.subarray(0, 5))).toEqual([]); // start code and NAL header: could still be a second slice
    expect(parser.push(next.subarray(5, 6)).map(types)).toEqual([[7, 8, 5]]); // first_mb_in_slice = 0: a new picture
    expect(parser.push(annexB(P_SECOND_SLICE).subarray(0, 6))).toEqual([]); // another slice of the same picture
    expect(parser.end().map(types)).toEqual([[1, 1]]);
  });

  it('stamps frame-rate timestamps from the SPS VUI timing when no fps is given (25 fps: 0, 40, 80 ms)', () => {
    const { aus } = parseAll([readFixture(X264_SAMPLE)], { kind: 'frameRate', startMs: 1_000 });
    expect(aus.slice(0, 4).map((a) => a.timestampMs)).toEqual([1_000, 1_040, 1_080, 1_120]);
    expect(aus[45]!.timestampMs).toBe(1_000 + 45 * 40);
  });

  it('rounds frame-rate timestamps per frame without drift (30 fps: 0, 33, 67, 100 ms)', () => {
    const { aus } = parseAll([readFixture(RASPIVID)], { kind: 'frameRate', startMs: 0, fps: 30 });
    expect(aus.slice(0, 4).map((a) => a.timestampMs)).toEqual([0, 33, 67, 100]);
    expect(aus[60]!.timestampMs).toBe(2_000);
  });

  it('throws H264_NO_FRAME_RATE when neither the options nor the SPS give a frame rate', () => {
    expect(() => parseAll([readFixture(RASPIVID)], { kind: 'frameRate', startMs: 0 })).toThrow(expect.objectContaining({ code: 'H264_NO_FRAME_RATE' }));
    expect(() => new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 0, fps: 0 } })).toThrow(expect.objectContaining({ code: 'H264_NO_FRAME_RATE' }));
  });

  it('stamps with the caller clock at the arrival of each access unit and keeps timestamps strictly increasing', () => {
    let now = 5_000;
    const clock: Clock = { now: () => now };
    const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'clock', clock } });
    const aus: AccessUnit[] = [];
    parser.push(annexB(SPS, PPS, IDR), aus); // first AU arrives at 5000
    now = 5_040;
    parser.push(annexB(P0), aus); // second at 5040
    parser.push(annexB(P0), aus); // third arrives in the same millisecond
    now = 5_020; // a clock stepping back must not reorder frames
    parser.push(annexB(P0), aus);
    parser.end(aus);
    expect(aus.map((a) => a.timestampMs)).toEqual([5_000, 5_040, 5_041, 5_042]);
  });

  it('remembers the last SPS and PPS for keyframes that do not repeat them', () => {
    const { parser } = parseAll([readFixture(RASPIVID)]);
    const ps = parser.parameterSets()!;
    expect(Buffer.from(ps.sps.data).toString('hex')).toBe('27640028ac2b403c0113f2c03c489a80');
    expect(ps.pps.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(['28ee025cb0']);
    expect(ps.spsInfo.width).toBe(1920);
    expect(new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 0, fps: 1 } }).parameterSets()).toBeUndefined();
  });

  it('drops trailing parameter sets that no picture follows at end()', () => {
    const { aus } = parseAll([annexB(SPS, PPS, IDR, SPS, PPS)]);
    expect(aus.map(types)).toEqual([[7, 8, 5]]);
  });

  it('throws H264_INVALID_SPS for a corrupt SPS instead of guessing', () => {
    expect(() => parseAll([annexB('6764', PPS, IDR)])).toThrow(expect.objectContaining({ code: 'H264_INVALID_SPS' }));
  });

  it('throws H264_ACCESS_UNIT_TOO_LARGE for a stream of NAL units that never completes a picture', () => {
    const seiOnly = annexB(...Array.from({ length: 4097 }, () => SEI_OTHER));
    expect(() => parseAll([seiOnly])).toThrow(expect.objectContaining({ code: 'H264_ACCESS_UNIT_TOO_LARGE' }));
  });
});
