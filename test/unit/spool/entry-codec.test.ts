import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ENTRY_HEADER_BYTES,
  encodeEntry,
  findNextHeader,
  payloadIntact,
  readHeader,
  scanSegment,
} from '../../../src/spool/entry-codec.js';
import { decodeLedger, encodeLedger } from '../../../src/spool/ledger.js';
import { parseSegmentName, segmentName } from '../../../src/spool/segments.js';

function flip(buf: Buffer, offset: number, mask: number): void {
  buf[offset] = buf[offset]! ^ mask;
}

function segmentOf(first: number, payloads: string[]): Buffer {
  return Buffer.concat(payloads.map((p, i) => encodeEntry(first + i, Buffer.from(p))));
}

describe('entry framing (SPEC.md §3)', () => {
  it('uses the CRC-32 the spec names (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('lays an entry out as sync | length | checksum | sequence | header checksum | payload, little-endian', () => {
    const entry = encodeEntry(0x1_0000_0002, Buffer.from('hello'));
    expect(entry.length).toBe(ENTRY_HEADER_BYTES + 5);
    expect([...entry.subarray(0, 4)]).toEqual([0x4b, 0x53, 0x45, 0x01]);
    expect(entry.readUInt32LE(4)).toBe(5);
    expect(entry.readUInt32LE(8)).toBe(crc32(Buffer.from('hello')));
    expect(entry.readUInt32LE(12)).toBe(2);
    expect(entry.readUInt32LE(16)).toBe(1);
    expect(entry.readUInt32LE(20)).toBe(crc32(entry.subarray(0, 20)));
    expect(entry.subarray(24).toString()).toBe('hello');
    expect(readHeader(entry, 0)).toEqual({ seq: 0x1_0000_0002, length: 5, checksum: crc32(Buffer.from('hello')) });
  });

  it('rejects a header whose checksum does not match, so a damaged length is never trusted', () => {
    const entry = encodeEntry(7, Buffer.from('payload'));
    flip(entry, 5, 0x01);
    expect(readHeader(entry, 0)).toBeUndefined();
  });

  it('detects a damaged payload behind an intact header', () => {
    const entry = encodeEntry(7, Buffer.from('payload'));
    flip(entry, ENTRY_HEADER_BYTES + 2, 0x40);
    const header = readHeader(entry, 0)!;
    expect(payloadIntact(entry, 0, header)).toBe(false);
  });

  it('refuses a sequence number above 2^53 as corrupt', () => {
    const entry = encodeEntry(1, Buffer.from('x'));
    entry.writeUInt32LE(0x0020_0000, 16);
    entry.writeUInt32LE(crc32(entry.subarray(0, 20)), 20);
    expect(readHeader(entry, 0)).toBeUndefined();
  });

  it('resynchronises on the next valid header after garbage, honouring the seq range', () => {
    const seg = segmentOf(10, ['aaaa', 'bbbb', 'cccc']);
    const second = ENTRY_HEADER_BYTES + 4;
    // A damaged first header: search from just after it.
    flip(seg, 4, 0xff);
    expect(findNextHeader(seg, 1, 10, 100)).toBe(second);
    // A seq below the expected minimum is not a plausible resync point.
    expect(findNextHeader(seg, 1, 12, 100)).toBe(2 * second);
    expect(findNextHeader(seg, 1, 13, 100)).toBe(-1);
  });

  it('does not resynchronise on a sync marker that appears inside a payload', () => {
    const fake = Buffer.concat([Buffer.from([0x4b, 0x53, 0x45, 0x01]), Buffer.alloc(30, 7)]);
    const seg = Buffer.concat([encodeEntry(1, fake), encodeEntry(2, Buffer.from('real'))]);
    expect(findNextHeader(seg, 1, 1, 10)).toBe(ENTRY_HEADER_BYTES + fake.length);
  });
});

describe('scanning the active segment (SPEC.md §8.2)', () => {
  it('finds the end of the last intact entry when the tail is torn', () => {
    const seg = segmentOf(1, ['one', 'two', 'three']);
    const torn = seg.subarray(0, seg.length - 2);
    expect(scanSegment(torn, 1)).toEqual({ lastSeq: 2, validEnd: 2 * ENTRY_HEADER_BYTES + 6, intactEntries: 2 });
  });

  it('treats trailing zeros (blocks never written before a power loss) as a torn tail', () => {
    const seg = Buffer.concat([segmentOf(5, ['x', 'y']), Buffer.alloc(4096)]);
    expect(scanSegment(seg, 5)).toMatchObject({ lastSeq: 6, validEnd: 2 * (ENTRY_HEADER_BYTES + 1) });
  });

  it('keeps entries after a damaged one in the middle: only what follows the last intact entry is torn', () => {
    const seg = segmentOf(1, ['one', 'two', 'three', 'four']);
    flip(seg, ENTRY_HEADER_BYTES + 3 + 6, 0xff); // the length of entry 2
    expect(scanSegment(seg, 1)).toEqual({ lastSeq: 4, validEnd: seg.length, intactEntries: 3 });
  });

  it('reports an empty or wholly torn segment as holding nothing', () => {
    expect(scanSegment(Buffer.alloc(0), 9)).toEqual({ lastSeq: 8, validEnd: 0, intactEntries: 0 });
    expect(scanSegment(Buffer.from([0x4b, 0x53, 0x45]), 9)).toEqual({ lastSeq: 8, validEnd: 0, intactEntries: 0 });
  });
});

describe('ledger and segment names (SPEC.md §2, §4)', () => {
  it('round-trips the low-water mark and refuses a damaged ledger', () => {
    const ledger = encodeLedger(123_456_789_012);
    expect(ledger.length).toBe(20);
    expect(decodeLedger(ledger)).toEqual({ state: 'ok', ackedThrough: 123_456_789_012 });
    const damaged = Buffer.from(ledger);
    flip(damaged, 9, 0x01);
    expect(decodeLedger(damaged)).toEqual({ state: 'invalid' });
    expect(decodeLedger(ledger.subarray(0, 19))).toEqual({ state: 'invalid' });
  });

  it('names a segment after its first seq in 20 zero-padded digits, sorting as numbers do', () => {
    expect(segmentName(4097)).toBe('00000000000000004097.seg');
    expect(parseSegmentName('00000000000000004097.seg')).toBe(4097);
    expect(parseSegmentName('4097.seg')).toBeUndefined();
    expect(parseSegmentName('00000000000000004097.seg.tmp')).toBeUndefined();
    const names = [segmentName(10), segmentName(9), segmentName(100)].sort();
    expect(names.map(parseSegmentName)).toEqual([9, 10, 100]);
  });
});
