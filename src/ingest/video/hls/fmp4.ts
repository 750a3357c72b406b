/**
 * Fragmented MP4 (ISO/IEC 14496-12, the CMAF subset HLS uses) for one H.264 track: an initialization
 * segment (ftyp + moov with the avcC from the stream's CodecPrivate) and one media segment per KVS
 * fragment (moof + mdat). MKV's V_MPEG4/ISO/AVC frames are already length-prefixed NAL units, which is
 * what an MP4 sample is, so the frames are copied as they are.
 */

export interface Mp4VideoTrack {
  readonly width: number;
  readonly height: number;
  /** The AVCDecoderConfigurationRecord (MKV CodecPrivate). */
  readonly avcc: Uint8Array;
  readonly timescale: number;
}

export interface Mp4Sample {
  readonly data: Uint8Array;
  readonly durationTicks: number;
  readonly keyframe: boolean;
  /** Presentation minus decode time, in ticks (0 without B-frames). */
  readonly compositionOffsetTicks: number;
}

type Part = Uint8Array;

function u16(v: number): Part {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
function u32(v: number): Part {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
function i32(v: number): Part {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v | 0);
  return b;
}
function u64(v: number): Part {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(Math.round(v)));
  return b;
}
function zeros(n: number): Part {
  return new Uint8Array(n);
}
function ascii(s: string): Part {
  return Buffer.from(s, 'latin1');
}

function box(type: string, ...parts: Part[]): Buffer {
  let size = 8;
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(size, 0);
  out.write(type, 4, 'latin1');
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fullBox(type: string, version: number, flags: number, ...parts: Part[]): Buffer {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...parts);
}

/** The unity matrix of mvhd/tkhd. */
const MATRIX = [u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000)];

export function initSegment(track: Mp4VideoTrack): Buffer {
  const ftyp = box('ftyp', ascii('iso6'), u32(0), ascii('iso6'), ascii('iso5'), ascii('isom'), ascii('mp41'));
  const mvhd = fullBox('mvhd', 0, 0, u32(0), u32(0), u32(1000), u32(0), u32(0x00010000), u16(0x0100), zeros(10), ...MATRIX, zeros(24), u32(2));
  const tkhd = fullBox(
    'tkhd',
    0,
    0x3, // enabled, in movie
    u32(0),
    u32(0),
    u32(1), // track ID
    u32(0),
    u32(0), // duration: fragments carry it
    zeros(8),
    u16(0),
    u16(0),
    u16(0),
    u16(0),
    ...MATRIX,
    u32(track.width << 16),
    u32(track.height << 16),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(track.timescale), u32(0), u16(0x55c4 /* 'und' */), u16(0));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('vide'), zeros(12), ascii('VideoHandler\0'));
  const vmhd = fullBox('vmhd', 0, 1, zeros(8));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const avc1 = box(
    'avc1',
    zeros(6),
    u16(1), // data reference index
    zeros(16),
    u16(track.width),
    u16(track.height),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    u32(0),
    u16(1), // frame count
    zeros(32), // compressor name
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    box('avcC', track.avcc),
  );
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const mdia = box('mdia', mdhd, hdlr, box('minf', vmhd, dinf, stbl));
  const mvex = box('mvex', fullBox('trex', 0, 0, u32(1), u32(1), u32(0), u32(0), u32(0)));
  return Buffer.concat([ftyp, box('moov', mvhd, box('trak', tkhd, mdia), mvex)]);
}

const KEYFRAME_FLAGS = 0x02000000; // sample_depends_on = 2: depends on no other sample
const DEPENDENT_FLAGS = 0x01010000; // depends on others, not a sync sample
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800; // offset, duration, size, flags, composition offset

/** moof + mdat for `samples`, whose first sample decodes at `baseDecodeTimeTicks`. */
export function mediaSegment(sequenceNumber: number, baseDecodeTimeTicks: number, samples: readonly Mp4Sample[]): Buffer {
  const entries: Part[] = [];
  let dataBytes = 0;
  for (const s of samples) {
    entries.push(u32(s.durationTicks), u32(s.data.length), u32(s.keyframe ? KEYFRAME_FLAGS : DEPENDENT_FLAGS), i32(s.compositionOffsetTicks));
    dataBytes += s.data.length;
  }
  const build = (dataOffset: number): Buffer =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32(sequenceNumber)),
      box(
        'traf',
        fullBox('tfhd', 0, 0x020000 /* default-base-is-moof */, u32(1)),
        fullBox('tfdt', 1, 0, u64(baseDecodeTimeTicks)),
        // Version 1: signed composition offsets, so B-frame streams need no edit list.
        fullBox('trun', 1, TRUN_FLAGS, u32(samples.length), i32(dataOffset), ...entries),
      ),
    );
  const moofSize = build(0).length;
  const moof = build(moofSize + 8);
  const mdatHeader = Buffer.allocUnsafe(8);
  mdatHeader.writeUInt32BE(8 + dataBytes, 0);
  mdatHeader.write('mdat', 4, 'latin1');
  return Buffer.concat([moof, mdatHeader, ...samples.map((s) => s.data)]);
}
