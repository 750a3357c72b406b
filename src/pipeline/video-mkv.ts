/**
 * MKV for the video pipeline: clusters of known size, written frame by frame; stream headers from media/mkv.
 *
 * media/mkv writes clusters of unknown size, as the KVS producer SDK streams them frame by frame; such a
 * cluster only ends where the next top-level element begins. kedge sends whole fragments from its store,
 * so a receiver would learn that fragment N is complete only when fragment N+1 starts, one GOP later, and
 * its PERSISTED ACK (and the end-to-end latency) would lag by a whole GOP. A known size ends the cluster
 * with its last byte: the cluster's size field has a fixed 8-byte width and is filled in when it closes.
 *
 * Each frame is copied into the fragment's buffer as it arrives, not when the fragment closes: holding a
 * whole keyframe group of access units (views into ffmpeg's stdout chunks, NAL unit and frame objects)
 * for a GOP made all of it outlive the young generation, and on a Pi the bytes a producer keeps alive
 * decide its memory. The element layout is media/mkv's (Timecode, then SimpleBlocks with a 1-byte track
 * number, int16 relative timecode and flags), and media/mkv's rules are kept: a fragment starts with a
 * keyframe, and block timecodes stay within int16 of the cluster's.
 */
import { lengthPrefixedBytes, writeLengthPrefixed, type NalUnit } from '../media/h264/index.js';
import { encodeStreamHeader, MkvError, MkvId, VIDEO_TRACK_NUMBER } from '../media/mkv/index.js';
import { sizeVintLength, uintLength, writeId, writeSizeVint, writeUint } from '../media/mkv/vint.js';

export { encodeStreamHeader };

/** Cluster ID + an 8-byte size vint (the body length is known only at finish(), so always the widest form). */
const CLUSTER_HEADER = 12;
/** The SimpleBlock ID's length. */
const BLOCK_ID_BYTES = 1;
/** Track number (1-byte vint), int16 relative timecode, flags. */
const BLOCK_HEADER = 4;
const FLAG_KEYFRAME = 0x80;
/** The first fragment's buffer, before any fragment size is known; it grows if needed. */
const FIRST_FRAGMENT_BYTES = 256 * 1024;

/** Where fragment buffers come from and go back to (the sink's BufferPool, or fresh buffers). */
export interface FragmentBuffers {
  /** A buffer of at least `bytes` bytes. */
  acquire(bytes: number): Buffer;
  /** A buffer (or a view of one) from acquire that nobody uses any more. */
  release(buffer: Uint8Array): void;
}

/** Fresh buffers, left to the garbage collector. */
export const unpooledBuffers: FragmentBuffers = { acquire: (bytes) => Buffer.allocUnsafeSlow(bytes), release: () => {} };

/**
 * One Cluster of known size, track 1, built frame by frame: start() at the keyframe, append() per access
 * unit (every NAL unit kept, as the KVS producer does: in-band SPS/PPS keep each fragment decodable on its
 * own), finish() returns the cluster as a view of exactly its length into a buffer from `buffers`, which
 * the caller releases when done with it.
 */
export class ClusterBuilder {
  private buffer: Buffer | undefined;
  private length = 0;
  private timecode = 0;
  private blocks = 0;
  private lastBytes = FIRST_FRAGMENT_BYTES;

  constructor(private readonly buffers: FragmentBuffers = unpooledBuffers) {}

  /** Opens a cluster at `timecode` (ms); its first frame must be a keyframe. */
  start(timecode: number): void {
    if (this.buffer !== undefined) throw new MkvError('MKV_INVALID_ARGUMENT', 'a cluster is already open; finish it first');
    if (!Number.isSafeInteger(timecode) || timecode < 0) throw new MkvError('MKV_INVALID_ARGUMENT', `cluster timecode ${timecode} must be a non-negative integer (ms)`);
    // Room for a fragment like the last one: keyframe groups of one camera are of similar size.
    const out = this.buffers.acquire(this.lastBytes);
    this.buffer = out;
    this.timecode = timecode;
    this.blocks = 0;
    const timecodeBytes = uintLength(timecode);
    let p = writeId(out, 0, MkvId.Cluster);
    p += 8; // the size, written by finish()
    p = writeId(out, p, MkvId.Timecode);
    p = writeSizeVint(out, p, timecodeBytes);
    this.length = writeUint(out, p, timecode, timecodeBytes);
  }

  /** Adds one access unit as a SimpleBlock: its NAL units, each behind a 4-byte length. */
  append(timecode: number, keyframe: boolean, nalUnits: readonly NalUnit[]): void {
    if (this.buffer === undefined) throw new MkvError('MKV_INVALID_ARGUMENT', 'no cluster is open; start one at a keyframe');
    if (this.blocks === 0 && !keyframe) {
      throw new MkvError('MKV_INVALID_ARGUMENT', 'a cluster (KVS fragment) must start with a keyframe');
    }
    const relative = timecode - this.timecode;
    if (!Number.isInteger(relative) || relative < -32768 || relative > 32767) {
      throw new MkvError('MKV_BLOCK_TIMECODE_RANGE', `frame timecode ${timecode} is ${relative} ms from its cluster's ${this.timecode}; start a new fragment sooner`);
    }
    const bodyBytes = BLOCK_HEADER + lengthPrefixedBytes(nalUnits);
    const out = this.reserve(BLOCK_ID_BYTES + sizeVintLength(bodyBytes) + bodyBytes);
    let p = writeId(out, this.length, MkvId.SimpleBlock);
    p = writeSizeVint(out, p, bodyBytes);
    out[p++] = 0x80 | VIDEO_TRACK_NUMBER;
    out[p++] = (relative >> 8) & 0xff;
    out[p++] = relative & 0xff;
    out[p++] = keyframe ? FLAG_KEYFRAME : 0;
    this.length = writeLengthPrefixed(out, p, nalUnits);
    this.blocks += 1;
  }

  /** Closes the cluster: writes its size and hands over the bytes (release them to `buffers` when done). */
  finish(): Uint8Array {
    const out = this.buffer;
    if (out === undefined) throw new MkvError('MKV_INVALID_ARGUMENT', 'no cluster is open');
    writeSizeVint(out, 4, this.length - CLUSTER_HEADER, 8);
    this.buffer = undefined;
    this.lastBytes = this.length;
    return out.subarray(0, this.length);
  }

  /** The buffer with room for `bytes` more; a larger one (the fragment so far copied over) when needed. */
  private reserve(bytes: number): Buffer {
    const current = this.buffer!;
    const needed = this.length + bytes;
    if (needed <= current.length) return current;
    // Grow by half again at least, so a long keyframe group costs a few copies, not one per frame.
    const larger = this.buffers.acquire(Math.max(needed, Math.ceil(current.length * 1.5)));
    current.copy(larger, 0, 0, this.length);
    this.buffers.release(current);
    this.buffer = larger;
    return larger;
  }
}
