import { describe, expect, it } from 'vitest';
import { AnnexBSplitter } from '../../../../src/media/h264/annexb-splitter.js';
import type { NalUnit } from '../../../../src/media/h264/nal.js';
import { randomChunks, seededRng } from '../support/seeded.js';
import { readFixture, readX264Index, RASPIVID, X264_SAMPLE } from '../support/fixtures.js';

function splitAll(chunks: Iterable<Uint8Array>): NalUnit[] {
  const s = new AnnexBSplitter();
  const out: NalUnit[] = [];
  for (const c of chunks) s.push(c, out);
  return s.end(out);
}

const hex = (n: NalUnit): string => Buffer.from(n.data).toString('hex');

describe('AnnexBSplitter', () => {
  it('splits the KVS sample stream into the NAL types and start-code lengths its index records', () => {
    const nals = splitAll([readFixture(X264_SAMPLE)]);
    const index = readX264Index();
    expect(nals.map((n) => n.type)).toEqual(index.flatMap((au) => au.nalTypes));
    expect(nals.map((n) => n.startCodeLength)).toEqual(index.flatMap((au) => au.startCodeLengths));
  });

  it('returns NAL bytes exactly as they sit between the start codes of the file', () => {
    const bytes = readFixture(X264_SAMPLE);
    const nals = splitAll([bytes]);
    // Rebuilding the stream from the units and their start-code lengths gives the file back.
    const rebuilt = Buffer.concat(nals.flatMap((n) => [n.startCodeLength === 4 ? Buffer.from([0, 0, 0, 1]) : Buffer.from([0, 0, 1]), n.data]));
    expect(rebuilt.equals(bytes)).toBe(true);
  });

  it('yields the same NAL units whatever the chunk boundaries, start codes split across chunks included', () => {
    for (const fixture of [X264_SAMPLE, RASPIVID]) {
      const bytes = readFixture(fixture);
      const whole = splitAll([bytes]).map(hex);
      for (const seed of [1, 2, 3]) {
        const chunked = splitAll(randomChunks(bytes, seededRng(seed), 2048)).map(hex);
        expect(chunked).toEqual(whole);
      }
      // One byte at a time is the harshest split.
      const oneByOne = splitAll(Array.from({ length: Math.min(bytes.length, 60_000) }, (_, i) => bytes.subarray(i, i + 1)));
      expect(oneByOne.map(hex)).toEqual(splitAll([bytes.subarray(0, 60_000)]).map(hex));
    }
  });

  it('joins a NAL unit split over neighbouring pieces of one buffer with a view of it, not a copy', () => {
    const bytes = Buffer.from([0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0, 0, 0, 0, 1, 0x41, 0x9a]);
    const s = new AnnexBSplitter();
    const out: NalUnit[] = [];
    for (const [from, to] of [[0, 6], [6, 8], [8, 15]] as const) s.push(bytes.subarray(from, to), out);
    expect(out.map(hex)).toEqual(['65888421a0']);
    expect(out[0]!.data.buffer).toBe(bytes.buffer);
    expect(out[0]!.data.byteOffset).toBe(bytes.byteOffset + 4);
    // Pieces of different buffers are copied into one.
    const apart = new AnnexBSplitter();
    const copied = apart.push(Buffer.from(bytes.subarray(0, 6)), []);
    apart.push(Buffer.from(bytes.subarray(6)), copied);
    expect(copied.map(hex)).toEqual(['65888421a0']);
  });

  it('finds a start code whose zeros end one chunk and whose 01 starts the next', () => {
    const out = splitAll([Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0, 0, 0), Uint8Array.of(0), Uint8Array.of(1, 0x67, 0x42)]);
    expect(out.map(hex)).toEqual(['09f0', '6742']);
    expect(out.map((n) => n.startCodeLength)).toEqual([4, 4]);
  });

  it('leaves emulation-prevention bytes inside NAL payloads', () => {
    const out = splitAll([Uint8Array.of(0, 0, 1, 0x65, 0x88, 0, 0, 3, 0, 0, 3, 1, 0x80, 0, 0, 1, 0x41, 0x9a)]);
    expect(out.map(hex)).toEqual(['65880000030000030180', '419a']);
  });

  it('tells 3-byte from 4-byte start codes and strips trailing zero bytes after a NAL unit', () => {
    const out = splitAll([Uint8Array.of(0, 0, 0, 1, 0x67, 0x64, 0, 0, 0, 0, 0, 1, 0x68, 0xee, 0, 0, 1, 0x65, 0x11)]);
    expect(out.map(hex)).toEqual(['6764', '68ee', '6511']);
    expect(out.map((n) => n.startCodeLength)).toEqual([4, 4, 3]);
    expect(out.map((n) => [n.type, n.refIdc])).toEqual([[7, 3], [8, 3], [5, 3]]);
  });

  it('drops bytes before the first start code and counts them', () => {
    const s = new AnnexBSplitter();
    const out = s.push(Uint8Array.of(0xde, 0xad, 0, 0, 0, 1, 0x09, 0x10));
    s.end(out);
    expect(out.map(hex)).toEqual(['0910']);
    expect(s.skippedLeadingBytes).toBe(2);
  });

  it('holds the last NAL unit until end(), since only a start code or the end closes it', () => {
    const s = new AnnexBSplitter();
    expect(s.push(Uint8Array.of(0, 0, 1, 0x09, 0x10, 0, 0, 1, 0x67))).toHaveLength(1);
    expect(s.push(Uint8Array.of(0x42, 0x00))).toHaveLength(0);
    expect(s.end().map(hex)).toEqual(['6742']);
  });

  it('yields nothing for input without a start code', () => {
    const s = new AnnexBSplitter();
    expect(s.push(new Uint8Array(0))).toEqual([]);
    expect(s.push(Uint8Array.of(1, 2, 3, 0, 0))).toEqual([]);
    expect(s.end()).toEqual([]);
    expect(s.skippedLeadingBytes).toBe(5);
  });

  it('throws H264_NAL_TOO_LARGE when no start code ends a NAL unit within maxNalBytes, instead of holding it all', () => {
    const s = new AnnexBSplitter(1000);
    s.push(Uint8Array.of(0, 0, 0, 1, 0x65));
    expect(() => {
      for (let i = 0; i < 10; i++) s.push(new Uint8Array(200).fill(0x55));
    }).toThrow(expect.objectContaining({ code: 'H264_NAL_TOO_LARGE' }));
    // It recovers at the next start code.
    expect(s.end(s.push(Uint8Array.of(0, 0, 1, 0x09, 0xf0))).map(hex)).toEqual(['09f0']);
  });
});
