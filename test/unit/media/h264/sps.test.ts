import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../../../src/media/h264/annexb-splitter.js';
import { BitReader, unescapeRbsp } from '../../../../src/media/h264/rbsp.js';
import { parsePpsIds, parseSps } from '../../../../src/media/h264/sps.js';
import { BitWriter } from '../support/bit-writer.js';
import { readFixture, RASPIVID, X264_SAMPLE } from '../support/fixtures.js';

function firstSps(fixture: string): Uint8Array {
  const s = new AnnexBSplitter();
  return s.end(s.push(readFixture(fixture))).find((n) => n.type === 7)!.data;
}

interface SpsFields {
  profile: number;
  chroma?: number;
  scalingLists?: boolean;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  timing?: [number, number];
  pocType?: number;
}

/** An SPS with the fields a test picks and plausible values for the rest. */
function buildSps(f: SpsFields): Uint8Array {
  const w = new BitWriter().u(f.profile, 8).u(0, 8).u(40, 8).ue(0);
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(f.profile)) {
    const chroma = f.chroma ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.flag(false);
    w.ue(0).ue(0).flag(false).flag(f.scalingLists ?? false);
    if (f.scalingLists) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        w.flag(i % 2 === 0);
        if (i % 2 === 0) for (let j = 0; j < (i < 6 ? 16 : 64); j++) w.se(j === 0 ? 8 : -1 + (j % 3)); // arbitrary deltas
      }
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(f.pocType ?? 0);
  if ((f.pocType ?? 0) === 0) w.ue(2);
  if (f.pocType === 1) w.flag(false).se(-2).se(1).ue(2).se(3).se(-4);
  w.ue(1).flag(false).ue(f.widthMbs - 1).ue(f.heightMapUnits - 1).flag(f.frameMbsOnly ?? true);
  if (!(f.frameMbsOnly ?? true)) w.flag(true);
  w.flag(true); // direct_8x8_inference_flag
  w.flag(f.crop !== undefined);
  if (f.crop) f.crop.forEach((c) => w.ue(c));
  w.flag(f.timing !== undefined);
  if (f.timing) {
    w.flag(true).u(255, 8).u(4, 16).u(3, 16); // aspect ratio: Extended_SAR 4:3
    w.flag(false); // overscan
    w.flag(true).u(5, 3).flag(false).flag(true).u(1, 8).u(1, 8).u(1, 8); // video signal + colour description
    w.flag(true).ue(0).ue(0); // chroma location
    w.flag(true).u(f.timing[0], 32).u(f.timing[1], 32).flag(true);
  }
  return w.toNal(0x67);
}

describe('SPS parsing', () => {
  it('parses the x264 sample SPS: High profile, level 3.0, 640x480, 25 fps from VUI timing', () => {
    const sps = parseSps(firstSps(X264_SAMPLE));
    expect(sps).toMatchObject({ profileIdc: 100, constraintFlags: 0, levelIdc: 30, chromaFormatIdc: 1, bitDepthLuma: 8, width: 640, height: 480, frameMbsOnly: true, frameRate: 25 });
    expect(sps.timing).toEqual({ numUnitsInTick: 1, timeScale: 50, fixedFrameRate: true });
  });

  it('parses the raspivid SPS: High 4.0, 1920x1080 after cropping 8 rows, no VUI timing', () => {
    const sps = parseSps(firstSps(RASPIVID));
    expect(sps).toMatchObject({ profileIdc: 100, levelIdc: 40, width: 1920, height: 1080, crop: { left: 0, right: 0, top: 0, bottom: 4 } });
    expect(sps.frameRate).toBeUndefined();
  });

  it('reads a Baseline SPS, which has no chroma format or scaling matrix fields', () => {
    const sps = parseSps(buildSps({ profile: 66, widthMbs: 80, heightMapUnits: 45, pocType: 2 }));
    expect(sps).toMatchObject({ profileIdc: 66, chromaFormatIdc: 1, width: 1280, height: 720 });
  });

  it('reads past High-profile scaling lists and uses field-coding crop units (1920x1080 interlaced)', () => {
    const sps = parseSps(buildSps({ profile: 100, scalingLists: true, widthMbs: 120, heightMapUnits: 34, frameMbsOnly: false, crop: [0, 0, 0, 2], timing: [1001, 60000] }));
    expect(sps).toMatchObject({ width: 1920, height: 1080, frameMbsOnly: false });
    expect(sps.frameRate).toBeCloseTo(29.97, 2);
  });

  it('reads twelve scaling lists for 4:4:4 and crops in whole pixels there', () => {
    const sps = parseSps(buildSps({ profile: 244, chroma: 3, scalingLists: true, widthMbs: 21, heightMapUnits: 16, crop: [1, 2, 3, 4], timing: [1, 60], pocType: 1 }));
    expect(sps).toMatchObject({ profileIdc: 244, chromaFormatIdc: 3, width: 21 * 16 - 3, height: 16 * 16 - 7, frameRate: 30 });
  });

  it('throws H264_INVALID_SPS for a truncated SPS or a NAL that is not an SPS', () => {
    const full = firstSps(X264_SAMPLE);
    for (const cut of [3, 5, 8, 12]) expect(() => parseSps(full.subarray(0, cut))).toThrow(expect.objectContaining({ code: 'H264_INVALID_SPS' }));
    expect(() => parseSps(Uint8Array.of(0x68, 0xeb, 0xcc, 0xb2))).toThrow(expect.objectContaining({ code: 'H264_INVALID_SPS' }));
    // A run of zero bits longer than any Exp-Golomb code.
    expect(() => parseSps(Uint8Array.of(0x67, 100, 0, 30, 0, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0, 3, 0x80))).toThrow(expect.objectContaining({ code: 'H264_INVALID_SPS' }));
  });

  it('reads the PPS and SPS ids at the start of a PPS', () => {
    expect(parsePpsIds(new BitWriter().ue(3).ue(1).toNal(0x68))).toEqual({ ppsId: 3, spsId: 1 });
  });
});

describe('RBSP reading', () => {
  it('removes emulation-prevention bytes and leaves other 03 bytes alone', () => {
    expect(Buffer.from(unescapeRbsp(Uint8Array.of(0x67, 0, 0, 3, 1, 3, 0, 0, 3, 0, 0, 3))).toString('hex')).toBe('670000010300000000');
    const plain = Uint8Array.of(0x67, 1, 2, 3);
    expect(unescapeRbsp(plain)).toBe(plain);
  });

  it('reads fixed-width fields, ue(v) and se(v) codes', () => {
    const bytes = new BitWriter().u(0xabcdef01, 32).ue(0).ue(1).ue(254).se(-3).se(7).flag(true).toNal(0).subarray(1);
    const r = new BitReader(bytes, 'TEST');
    expect([r.readBits(32), r.readUE(), r.readUE(), r.readUE(), r.readSE(), r.readSE(), r.readFlag()]).toEqual([0xabcdef01, 0, 1, 254, -3, 7, true]);
  });
});
