import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../../../src/media/h264/annexb-splitter.js';
import { buildAvcc, parseAvcc } from '../../../../src/media/h264/avcc.js';
import { BitWriter } from '../support/bit-writer.js';
import { readFixture, X264_SAMPLE } from '../support/fixtures.js';

function parameterSets(fixture: string): { sps: Uint8Array; pps: Uint8Array } {
  const s = new AnnexBSplitter();
  const nals = s.end(s.push(readFixture(fixture)));
  return { sps: nals.find((n) => n.type === 7)!.data, pps: nals.find((n) => n.type === 8)!.data };
}

describe('avcC (AVCDecoderConfigurationRecord)', () => {
  it('copies profile, compatibility and level from the SPS, declares 4-byte lengths and adds the High-profile extension', () => {
    const { sps, pps } = parameterSets(X264_SAMPLE);
    const avcc = buildAvcc([sps], [pps]);
    const hex = Buffer.from(avcc).toString('hex');
    expect(hex.slice(0, 12)).toBe('0164001effe1'); // version 1, High, compat 0, level 3.0, 0xFF = 4-byte lengths, 1 SPS
    expect(hex).toBe(`0164001effe1${sps.length.toString(16).padStart(4, '0')}${Buffer.from(sps).toString('hex')}01${pps.length.toString(16).padStart(4, '0')}${Buffer.from(pps).toString('hex')}fdf8f800`);
  });

  it('has no chroma/bit-depth extension for Baseline, Main and Extended profiles', () => {
    for (const profile of [66, 77, 88]) {
      const sps = new BitWriter().u(profile, 8).u(0xc0, 8).u(31, 8).ue(0).ue(0).ue(2).ue(1).flag(false).ue(19).ue(14).flag(true).flag(true).flag(false).flag(false).toNal(0x67);
      const avcc = buildAvcc([sps], [Uint8Array.of(0x68, 0xce, 0x38, 0x80)]);
      expect(avcc.length).toBe(6 + 2 + sps.length + 1 + 2 + 4);
      expect([avcc[1], avcc[2], avcc[3]]).toEqual([profile, 0xc0, 31]);
    }
  });

  it('round-trips through parseAvcc with several parameter sets', () => {
    const { sps, pps } = parameterSets(X264_SAMPLE);
    const pps2 = Uint8Array.of(0x68, 0xde, 0x3c, 0x80);
    const parsed = parseAvcc(buildAvcc([sps], [pps, pps2]));
    expect(parsed).toMatchObject({ profileIdc: 100, profileCompatibility: 0, levelIdc: 30, nalLengthSize: 4 });
    expect(parsed.sps.map((s) => Buffer.from(s).toString('hex'))).toEqual([Buffer.from(sps).toString('hex')]);
    expect(parsed.pps.map((s) => Buffer.from(s).toString('hex'))).toEqual([Buffer.from(pps).toString('hex'), '68de3c80']);
  });

  it('refuses to build without an SPS and a PPS', () => {
    const { sps } = parameterSets(X264_SAMPLE);
    expect(() => buildAvcc([], [])).toThrow(expect.objectContaining({ code: 'H264_NO_PARAMETER_SETS' }));
    expect(() => buildAvcc([sps], [])).toThrow(expect.objectContaining({ code: 'H264_NO_PARAMETER_SETS' }));
  });

  it('rejects truncated or foreign records with H264_INVALID_AVCC', () => {
    const { sps, pps } = parameterSets(X264_SAMPLE);
    const avcc = buildAvcc([sps], [pps]);
    for (const cut of [0, 3, 6, 7, 20, 6 + 2 + sps.length, avcc.length - 7]) {
      expect(() => parseAvcc(avcc.subarray(0, cut))).toThrow(expect.objectContaining({ code: 'H264_INVALID_AVCC' }));
    }
    expect(() => parseAvcc(Uint8Array.of(0, 0, 0, 1, 0x67, 0x64, 0))).toThrow(expect.objectContaining({ code: 'H264_INVALID_AVCC' }));
  });
});
