/**
 * MKV for the video pipeline: clusters of known size, stream headers from media/mkv.
 *
 * media/mkv writes clusters of unknown size, as the KVS producer SDK streams them frame by frame; such a
 * cluster only ends where the next top-level element begins. kedge sends whole fragments from its store,
 * so a receiver would learn that fragment N is complete only when fragment N+1 starts, one GOP later, and
 * its PERSISTED ACK (and the end-to-end latency) would lag by a whole GOP. A known size ends the cluster
 * with its last byte.
 *
 * The cluster is written here, in one allocation, rather than by patching media/mkv's output: patching
 * needs a second copy of every fragment, and on a Pi the bytes a producer allocates per second decide its
 * memory (buffers wait for the garbage collector). The element layout is media/mkv's (Timecode, then
 * SimpleBlocks with a 1-byte track number, int16 relative timecode and flags), and media/mkv's rules are
 * kept: a fragment starts with a keyframe, and block timecodes stay within int16 of the cluster's.
 */
import { lengthPrefixedPayload, type NalUnit } from '../media/h264/index.js';
import { encodeStreamHeader, MkvError, MkvId, VIDEO_TRACK_NUMBER, type BlockPayload, type MkvFrame } from '../media/mkv/index.js';
import { sizeVintLength, uintLength, writeId, writeSizeVint, writeUint } from '../media/mkv/vint.js';

export { encodeStreamHeader, type MkvFrame };

/** Cluster ID + an 8-byte size vint. */
const CLUSTER_HEADER = 12;
/** Track number (1-byte vint), int16 relative timecode, flags. */
const BLOCK_HEADER = 4;
const FLAG_KEYFRAME = 0x80;

const blockBodyLength = (frame: MkvFrame): number => BLOCK_HEADER + frame.payload.byteLength;

/**
 * A Cluster of known size at `timecode` (ms) holding one SimpleBlock per frame, track 1, written into a
 * buffer from `allocate` (default a fresh one) and returned as a view of exactly its length.
 */
export function encodeCluster(timecode: number, frames: readonly MkvFrame[], allocate: (bytes: number) => Buffer = Buffer.allocUnsafe): Uint8Array {
  if (frames.length === 0 || !frames[0]!.keyframe) {
    throw new MkvError('MKV_INVALID_ARGUMENT', frames.length === 0 ? 'a cluster needs at least one frame' : 'a cluster (KVS fragment) must start with a keyframe');
  }
  if (!Number.isSafeInteger(timecode) || timecode < 0) throw new MkvError('MKV_INVALID_ARGUMENT', `cluster timecode ${timecode} must be a non-negative integer (ms)`);
  const timecodeBytes = uintLength(timecode);
  let bodyLength = 1 + 1 + timecodeBytes; // Timecode: ID, 1-byte size, value
  for (const f of frames) {
    const body = blockBodyLength(f);
    bodyLength += 1 + sizeVintLength(body) + body;
  }
  const total = CLUSTER_HEADER + bodyLength;
  const out = allocate(total).subarray(0, total);
  let p = writeId(out, 0, MkvId.Cluster);
  p = writeSizeVint(out, p, bodyLength, 8);
  p = writeId(out, p, MkvId.Timecode);
  p = writeSizeVint(out, p, timecodeBytes);
  p = writeUint(out, p, timecode, timecodeBytes);
  for (const f of frames) {
    const relative = f.timecode - timecode;
    if (!Number.isInteger(relative) || relative < -32768 || relative > 32767) {
      throw new MkvError('MKV_BLOCK_TIMECODE_RANGE', `frame timecode ${f.timecode} is ${relative} ms from its cluster's ${timecode}; start a new fragment sooner`);
    }
    p = writeId(out, p, MkvId.SimpleBlock);
    p = writeSizeVint(out, p, blockBodyLength(f));
    out[p++] = 0x80 | VIDEO_TRACK_NUMBER;
    out[p++] = (relative >> 8) & 0xff;
    out[p++] = relative & 0xff;
    out[p++] = f.keyframe ? FLAG_KEYFRAME : 0;
    if (f.payload instanceof Uint8Array) {
      out.set(f.payload, p);
      p += f.payload.length;
    } else {
      p = f.payload.writeTo(out, p);
    }
  }
  if (p !== out.length) throw new MkvError('MKV_INVALID_ARGUMENT', `cluster writer produced ${p} bytes, expected ${out.length}`);
  return out;
}

/** Every NAL unit kept, as the KVS producer does; in-band SPS/PPS keep each fragment decodable on its own. */
export function lengthPrefixedPayloadFor(nalUnits: readonly NalUnit[]): BlockPayload {
  return lengthPrefixedPayload(nalUnits);
}

/**
 * Reusable fragment buffers. A fragment buffer lives from the end of its keyframe group until the store has
 * written it (milliseconds), then goes back here: at 1080p that is ~1 MB a second the garbage collector
 * would otherwise have to find, and until it does, it counts in the process's memory. Holds at most
 * `keep` buffers; a buffer too small for the next fragment is replaced by a larger one.
 */
export class FragmentBufferPool {
  private readonly free: Buffer[] = [];
  /** Only buffers this pool made come back to it (never a slice of Node's shared small-buffer pool). */
  private readonly owned = new WeakSet<ArrayBufferLike>();

  constructor(private readonly keep = 3) {}

  acquire(bytes: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= bytes);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    // Room to grow: keyframe groups vary in size, and a buffer that fits only this one is soon replaced.
    const buffer = Buffer.allocUnsafeSlow(Math.ceil(bytes * 1.25));
    this.owned.add(buffer.buffer);
    return buffer;
  }

  /** `view` is what encodeCluster returned; its whole underlying buffer goes back to the pool. */
  release(view: Uint8Array): void {
    if (!this.owned.has(view.buffer)) return;
    if (this.free.length >= this.keep) this.free.shift();
    this.free.push(Buffer.from(view.buffer, 0, view.buffer.byteLength));
  }
}
