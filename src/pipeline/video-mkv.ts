/**
 * MKV for the video pipeline: the media/mkv writer, with clusters given a known size.
 *
 * media/mkv writes clusters of unknown size, as the KVS producer SDK streams them frame by frame; such a
 * cluster only ends where the next top-level element begins. kedge sends whole fragments from its store,
 * so a receiver would learn that fragment N is complete only when fragment N+1 starts, one GOP later, and
 * its PERSISTED ACK (and the end-to-end latency) would lag by a whole GOP. A known size ends the cluster
 * with its last byte. The size is patched in by copying the cluster once; per fragment, not per frame.
 */
import { lengthPrefixedPayload, type NalUnit } from '../media/h264/index.js';
import { encodeCluster as encodeUnknownSizeCluster, encodeStreamHeader, MkvId, type BlockPayload, type MkvFrame } from '../media/mkv/index.js';

export { encodeStreamHeader, type MkvFrame };

/** Cluster ID (4 bytes) + 1-byte unknown size, as media/mkv writes it. */
const UNKNOWN_CLUSTER_PREFIX = 5;
/** Cluster ID + an 8-byte size vint. */
const KNOWN_CLUSTER_PREFIX = 12;

export function encodeCluster(timecode: number, frames: readonly MkvFrame[]): Uint8Array {
  const unknown = encodeUnknownSizeCluster(timecode, frames);
  const body = unknown.subarray(UNKNOWN_CLUSTER_PREFIX);
  const out = Buffer.allocUnsafe(KNOWN_CLUSTER_PREFIX + body.length);
  out.writeUInt32BE(MkvId.Cluster, 0);
  // 8-byte vint: marker 0x01, then the size in the remaining 56 bits.
  out[4] = 0x01;
  out.writeUIntBE(Math.floor(body.length / 2 ** 32), 5, 3);
  out.writeUInt32BE(body.length >>> 0, 8);
  out.set(body, KNOWN_CLUSTER_PREFIX);
  return out;
}

/** Every NAL unit kept, as the KVS producer does; in-band SPS/PPS keep each fragment decodable on its own. */
export function lengthPrefixedPayloadFor(nalUnits: readonly NalUnit[]): BlockPayload {
  return lengthPrefixedPayload(nalUnits);
}
