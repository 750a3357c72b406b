import { MkvError } from './errors.js';
import { Id } from './ids.js';
import { VIDEO_TRACK_NUMBER } from './stream-header.js';
import { sizeVintLength, uintLength, UNKNOWN_SIZE_BYTE, writeId, writeSizeVint, writeUint } from './vint.js';

/** Bytes placed by their producer straight into the block (h264's lengthPrefixedPayload is one). */
export interface BlockPayload {
  readonly byteLength: number;
  writeTo(target: Uint8Array, offset: number): number;
}

export interface MkvFrame {
  /** Absolute timecode in TimecodeScale units (ms with the default scale). */
  readonly timecode: number;
  readonly keyframe: boolean;
  /** For H.264: 4-byte length-prefixed NAL units. */
  readonly payload: Uint8Array | BlockPayload;
  /** Default VIDEO_TRACK_NUMBER (1). */
  readonly trackNumber?: number;
}

/** Cluster ID, unknown size, Timecode: 4 + 1 + 1 + 1 + up to 8 bytes. */
const CLUSTER_START_MAX = 15;
/** SimpleBlock header after the size: track vint (1 byte for tracks 1..126), int16 timecode, flags. */
const BLOCK_HEADER = 4;
const FLAG_KEYFRAME = 0x80;

/**
 * The start of a Cluster of unknown size with its absolute Timecode, as the KVS producer writes it
 * (kvs.md §2.3): frames can then be streamed one by one with encodeSimpleBlock, and the cluster ends
 * where the next Cluster, Tags or the end of the body begins.
 */
export function encodeClusterStart(timecode: number): Uint8Array {
  const out = Buffer.allocUnsafe(CLUSTER_START_MAX);
  return out.subarray(0, writeClusterStart(out, 0, timecode));
}

/** One SimpleBlock of a frame in the cluster that started at `clusterTimecode`. */
export function encodeSimpleBlock(clusterTimecode: number, frame: MkvFrame): Uint8Array {
  const out = Buffer.allocUnsafe(simpleBlockLength(frame));
  writeSimpleBlock(out, 0, clusterTimecode, frame);
  return out;
}

/**
 * A whole fragment: a Cluster starting at `timecode` with one SimpleBlock per frame, in one buffer
 * (one allocation, payloads written in place). A KVS fragment must decode on its own (kvs.md §2.1), so
 * it must have frames and start with a keyframe; anything else is refused here rather than by the
 * service with an ERROR ACK.
 */
export function encodeCluster(timecode: number, frames: readonly MkvFrame[]): Uint8Array {
  if (frames.length === 0 || !frames[0]!.keyframe) {
    throw new MkvError('MKV_INVALID_ARGUMENT', frames.length === 0 ? 'a cluster needs at least one frame' : 'a cluster (KVS fragment) must start with a keyframe; start fragments at IDR pictures');
  }
  let total = CLUSTER_START_MAX;
  for (const f of frames) total += simpleBlockLength(f);
  const out = Buffer.allocUnsafe(total);
  let p = writeClusterStart(out, 0, timecode);
  for (const f of frames) p = writeSimpleBlock(out, p, timecode, f);
  return out.subarray(0, p);
}

function writeClusterStart(out: Uint8Array, offset: number, timecode: number): number {
  if (!Number.isSafeInteger(timecode) || timecode < 0) {
    throw new MkvError('MKV_INVALID_ARGUMENT', `cluster timecode ${timecode} must be a non-negative integer (TimecodeScale units, ms by default)`);
  }
  let p = writeId(out, offset, Id.Cluster);
  out[p++] = UNKNOWN_SIZE_BYTE;
  p = writeId(out, p, Id.Timecode);
  const len = uintLength(timecode);
  p = writeSizeVint(out, p, len);
  return writeUint(out, p, timecode, len);
}

function payloadLength(payload: Uint8Array | BlockPayload): number {
  return payload.byteLength;
}

function simpleBlockLength(frame: MkvFrame): number {
  const body = BLOCK_HEADER + payloadLength(frame.payload);
  return 1 + sizeVintLength(body) + body;
}

function writeSimpleBlock(out: Uint8Array, offset: number, clusterTimecode: number, frame: MkvFrame): number {
  const track = frame.trackNumber ?? VIDEO_TRACK_NUMBER;
  if (!Number.isInteger(track) || track < 1 || track > 126) {
    throw new MkvError('MKV_INVALID_ARGUMENT', `track number ${track} must be 1..126`);
  }
  const relative = frame.timecode - clusterTimecode;
  if (!Number.isInteger(relative) || relative < -32768 || relative > 32767) {
    throw new MkvError(
      'MKV_BLOCK_TIMECODE_RANGE',
      `frame timecode ${frame.timecode} is ${relative} from its cluster's ${clusterTimecode}; a block timecode is a signed 16-bit offset, so start a new cluster (fragment) sooner`,
    );
  }
  const body = BLOCK_HEADER + payloadLength(frame.payload);
  let p = writeId(out, offset, Id.SimpleBlock);
  p = writeSizeVint(out, p, body);
  out[p++] = 0x80 | track; // track number as a 1-byte vint
  out[p++] = (relative >> 8) & 0xff;
  out[p++] = relative & 0xff;
  out[p++] = frame.keyframe ? FLAG_KEYFRAME : 0;
  if (frame.payload instanceof Uint8Array) {
    out.set(frame.payload, p);
    return p + frame.payload.length;
  }
  const end = frame.payload.writeTo(out, p);
  if (end !== p + frame.payload.byteLength) {
    throw new MkvError('MKV_INVALID_ARGUMENT', `a block payload wrote ${end - p} bytes but announced ${frame.payload.byteLength}`);
  }
  return end;
}
