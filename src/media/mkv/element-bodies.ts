import { invalidMkv } from './errors.js';
import { hexId, Id } from './ids.js';
import type { MkvTag } from './tags.js';

/** One child element inside a complete, buffered master element. */
interface Child {
  readonly id: number;
  /** Payload bounds inside the parent's bytes. */
  readonly start: number;
  readonly end: number;
}

/**
 * Iterates the children of a master element whose bytes are all in memory. `base` is the absolute
 * offset of `bytes[0]`, for error messages. Unknown sizes are not allowed inside these elements.
 */
function* children(bytes: Uint8Array, base: number, start = 0, end = bytes.length): Generator<Child> {
  let p = start;
  while (p < end) {
    const idLen = vintLength(bytes[p]!, 4);
    if (idLen === 0 || p + idLen > end) throw invalidMkv(base + p, 'bad element ID inside a master element');
    let id = 0;
    for (let i = 0; i < idLen; i++) id = id * 256 + bytes[p + i]!;
    p += idLen;
    if (p >= end) throw invalidMkv(base + p, `element ${hexId(id)} has no size`);
    const sizeLen = vintLength(bytes[p]!, 8);
    if (sizeLen === 0 || p + sizeLen > end) throw invalidMkv(base + p, `bad size of element ${hexId(id)}`);
    let size = bytes[p]! & (0xff >> sizeLen);
    for (let i = 1; i < sizeLen; i++) size = size * 256 + bytes[p + i]!;
    p += sizeLen;
    if (p + size > end) throw invalidMkv(base + p, `element ${hexId(id)} of ${size} bytes runs past its parent`);
    yield { id, start: p, end: p + size };
    p += size;
  }
}

/** Length of a vint from its first byte (0 if longer than `max`). */
export function vintLength(first: number, max: number): number {
  for (let len = 1; len <= max; len++) {
    if (first & (0x100 >> len)) return len;
  }
  return 0;
}

function uint(bytes: Uint8Array, c: Child, base: number): number {
  if (c.end - c.start > 8) throw invalidMkv(base + c.start, `unsigned integer ${hexId(c.id)} is ${c.end - c.start} bytes long`);
  let v = 0;
  for (let i = c.start; i < c.end; i++) v = v * 256 + bytes[i]!;
  if (!Number.isSafeInteger(v)) throw invalidMkv(base + c.start, `integer ${hexId(c.id)} is beyond 2^53`);
  return v;
}

function bigUint(bytes: Uint8Array, c: Child): bigint {
  let v = 0n;
  for (let i = c.start; i < c.end; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** A copy, so a small value (CodecPrivate, UID) does not keep a large pushed chunk alive. */
function copy(bytes: Uint8Array, c: Child): Uint8Array {
  return new Uint8Array(bytes.subarray(c.start, c.end));
}

const utf8 = new TextDecoder('utf-8');

/** Strings may be padded with NULs (the 2018 producer SDK wrote "matroska\0"); they are stripped. */
function str(bytes: Uint8Array, c: Child): string {
  let end = c.end;
  while (end > c.start && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(c.start, end));
}

function float(bytes: Uint8Array, c: Child, base: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + c.start, c.end - c.start);
  if (c.end - c.start === 4) return view.getFloat32(0);
  if (c.end - c.start === 8) return view.getFloat64(0);
  if (c.end === c.start) return 0;
  throw invalidMkv(base + c.start, `float ${hexId(c.id)} is ${c.end - c.start} bytes, not 4 or 8`);
}

export interface EbmlHeaderInfo {
  readonly docType: string;
  readonly docTypeVersion: number;
  readonly docTypeReadVersion: number;
}

export function parseEbmlHeader(bytes: Uint8Array, base: number): EbmlHeaderInfo {
  let docType = '';
  let docTypeVersion = 1;
  let docTypeReadVersion = 1;
  for (const c of children(bytes, base)) {
    if (c.id === Id.DocType) docType = str(bytes, c);
    else if (c.id === Id.DocTypeVersion) docTypeVersion = uint(bytes, c, base);
    else if (c.id === Id.DocTypeReadVersion) docTypeReadVersion = uint(bytes, c, base);
    else if (c.id === Id.EbmlReadVersion && uint(bytes, c, base) > 1) throw invalidMkv(base + c.start, 'EBMLReadVersion above 1');
    else if (c.id === Id.EbmlMaxIdLength && uint(bytes, c, base) > 4) throw invalidMkv(base + c.start, 'EBMLMaxIDLength above 4');
    else if (c.id === Id.EbmlMaxSizeLength && uint(bytes, c, base) > 8) throw invalidMkv(base + c.start, 'EBMLMaxSizeLength above 8');
  }
  if (docType !== 'matroska' && docType !== 'webm') throw invalidMkv(base, `DocType "${docType}" is not matroska or webm`);
  return { docType, docTypeVersion, docTypeReadVersion };
}

export interface SegmentInfo {
  /** Nanoseconds per timecode unit (1,000,000 = ms, the default). */
  readonly timecodeScaleNs: number;
  readonly segmentUid?: Uint8Array;
  readonly title?: string;
  readonly muxingApp?: string;
  readonly writingApp?: string;
  /** In timecode units, when the writer knew it. */
  readonly duration?: number;
}

export function parseInfo(bytes: Uint8Array, base: number): SegmentInfo {
  const info: { -readonly [K in keyof SegmentInfo]: SegmentInfo[K] } = { timecodeScaleNs: 1_000_000 };
  for (const c of children(bytes, base)) {
    if (c.id === Id.TimecodeScale) info.timecodeScaleNs = uint(bytes, c, base);
    else if (c.id === Id.SegmentUid) info.segmentUid = copy(bytes, c);
    else if (c.id === Id.Title) info.title = str(bytes, c);
    else if (c.id === Id.MuxingApp) info.muxingApp = str(bytes, c);
    else if (c.id === Id.WritingApp) info.writingApp = str(bytes, c);
    else if (c.id === Id.Duration) info.duration = float(bytes, c, base);
  }
  if (info.timecodeScaleNs === 0) throw invalidMkv(base, 'TimecodeScale is 0');
  return info;
}

export interface MkvTrack {
  readonly number: number;
  readonly uid: bigint;
  /** 1 video, 2 audio, 17 subtitle, ... */
  readonly type: number;
  readonly codecId: string;
  readonly name?: string;
  readonly codecPrivate?: Uint8Array;
  readonly defaultDurationNs?: number;
  readonly video?: { readonly pixelWidth: number; readonly pixelHeight: number };
}

export function parseTracks(bytes: Uint8Array, base: number): MkvTrack[] {
  const tracks: MkvTrack[] = [];
  for (const entry of children(bytes, base)) {
    if (entry.id !== Id.TrackEntry) continue;
    const t: { -readonly [K in keyof MkvTrack]: MkvTrack[K] } = { number: 0, uid: 0n, type: 0, codecId: '' };
    for (const c of children(bytes, base, entry.start, entry.end)) {
      if (c.id === Id.TrackNumber) t.number = uint(bytes, c, base);
      else if (c.id === Id.TrackUid) t.uid = bigUint(bytes, c);
      else if (c.id === Id.TrackType) t.type = uint(bytes, c, base);
      else if (c.id === Id.CodecId) t.codecId = str(bytes, c);
      else if (c.id === Id.Name) t.name = str(bytes, c);
      else if (c.id === Id.CodecPrivate) t.codecPrivate = copy(bytes, c);
      else if (c.id === Id.DefaultDuration) t.defaultDurationNs = uint(bytes, c, base);
      else if (c.id === Id.Video) {
        let pixelWidth = 0;
        let pixelHeight = 0;
        for (const v of children(bytes, base, c.start, c.end)) {
          if (v.id === Id.PixelWidth) pixelWidth = uint(bytes, v, base);
          else if (v.id === Id.PixelHeight) pixelHeight = uint(bytes, v, base);
        }
        t.video = { pixelWidth, pixelHeight };
      }
    }
    if (t.number === 0) throw invalidMkv(base + entry.start, 'TrackEntry without a TrackNumber');
    tracks.push(t);
  }
  return tracks;
}

/** A tag read back: the value of TagString, or the bytes of TagBinary (value is then ''). */
export interface MkvTagRead extends MkvTag {
  readonly binary?: Uint8Array;
}

/** Every SimpleTag of a Tags element, nested ones included, in document order. */
export function parseTags(bytes: Uint8Array, base: number): MkvTagRead[] {
  const out: MkvTagRead[] = [];
  const readSimpleTag = (st: Child): void => {
    let name = '';
    let value = '';
    let binary: Uint8Array | undefined;
    const nested: Child[] = [];
    for (const c of children(bytes, base, st.start, st.end)) {
      if (c.id === Id.TagName) name = str(bytes, c);
      else if (c.id === Id.TagString) value = str(bytes, c);
      else if (c.id === Id.TagBinary) binary = copy(bytes, c);
      else if (c.id === Id.SimpleTag) nested.push(c);
    }
    out.push(binary ? { name, value, binary } : { name, value });
    for (const n of nested) readSimpleTag(n);
  };
  for (const tag of children(bytes, base)) {
    if (tag.id !== Id.Tag) continue;
    for (const c of children(bytes, base, tag.start, tag.end)) {
      if (c.id === Id.SimpleTag) readSimpleTag(c);
    }
  }
  return out;
}

export interface BlockHeader {
  readonly trackNumber: number;
  readonly relativeTimecode: number;
  readonly flags: number;
  /** Where the frame data starts inside the block payload. */
  readonly dataStart: number;
}

/** The header of a (Simple)Block payload: track vint, signed 16-bit timecode, flags. */
export function parseBlockHeader(bytes: Uint8Array, base: number): BlockHeader {
  const first = bytes[0];
  const len = first === undefined ? 0 : vintLength(first, 8);
  if (len === 0 || bytes.length < len + 3) throw invalidMkv(base, `block of ${bytes.length} bytes has no valid header`);
  let trackNumber = first! & (0xff >> len);
  for (let i = 1; i < len; i++) trackNumber = trackNumber * 256 + bytes[i]!;
  const hi = bytes[len]!;
  const relativeTimecode = ((hi << 8) | bytes[len + 1]!) - (hi & 0x80 ? 0x10000 : 0);
  return { trackNumber, relativeTimecode, flags: bytes[len + 2]!, dataStart: len + 3 };
}

/** A BlockGroup's Block and whether it references other frames (no ReferenceBlock = keyframe). */
export function parseBlockGroup(bytes: Uint8Array, base: number): { block: Child | undefined; referencesOthers: boolean } {
  let block: Child | undefined;
  let referencesOthers = false;
  for (const c of children(bytes, base)) {
    if (c.id === Id.Block) block = c;
    else if (c.id === Id.ReferenceBlock) referencesOthers = true;
  }
  return { block, referencesOthers };
}
