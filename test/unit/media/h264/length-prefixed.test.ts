import { describe, expect, it } from 'vitest';
import { lengthPrefixedPayload, toLengthPrefixed } from '../../../../src/media/h264/length-prefixed.js';
import { makeNalUnit } from '../../../../src/media/h264/nal.js';

const nal = (hex: string) => makeNalUnit(Buffer.from(hex, 'hex'), 4);
const accessUnit = [nal('09f0'), nal('6764001e'), nal('68ee3c80'), nal('0605010080'), nal('65888040')];

describe('length-prefixed NAL units for MKV blocks', () => {
  it('writes every NAL unit as a 4-byte big-endian length and its bytes, keeping AUD, SPS and PPS as the KVS producer does', () => {
    expect(Buffer.from(toLengthPrefixed(accessUnit)).toString('hex')).toBe(
      '0000000209f0' + '000000046764001e' + '0000000468ee3c80' + '000000050605010080' + '0000000465888040',
    );
  });

  it('drops AUDs and in-band parameter sets only when asked to', () => {
    expect(Buffer.from(toLengthPrefixed(accessUnit, { dropAccessUnitDelimiters: true, dropParameterSets: true })).toString('hex')).toBe(
      '000000050605010080' + '0000000465888040',
    );
    expect(Buffer.from(toLengthPrefixed(accessUnit, { dropAccessUnitDelimiters: true })).toString('hex').startsWith('000000046764001e')).toBe(true);
  });

  it('announces its exact size and writes in place at an offset', () => {
    const big = makeNalUnit(new Uint8Array(70_000).fill(0x41, 0, 1), 3);
    const payload = lengthPrefixedPayload([big]);
    expect(payload.byteLength).toBe(70_004);
    const target = new Uint8Array(70_010);
    expect(payload.writeTo(target, 3)).toBe(70_007);
    expect([...target.subarray(3, 8)]).toEqual([0x00, 0x01, 0x11, 0x70, 0x41]);
  });
});
