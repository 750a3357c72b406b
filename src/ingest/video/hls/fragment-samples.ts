/**
 * A stored fragment (one Cluster) as MP4 samples of its video track: frames in decode order with
 * durations, keyframe flags and composition offsets, on a 90 kHz timeline of absolute time, so media
 * segments of consecutive fragments line up without any state kept between them.
 */
import { MkvReader, type MkvTrack } from '../../../media/mkv/index.js';
import type { FragmentRecord } from '../fragment-store.js';
import { SEGMENT_OF_UNKNOWN_SIZE, type StoredHeader } from '../stream-header.js';
import type { Mp4Sample } from './fmp4.js';

export const HLS_TIMESCALE = 90_000;

export interface FragmentSamples {
  readonly baseDecodeTimeTicks: number;
  readonly samples: Mp4Sample[];
}

/** The first video track of a header (what HLS plays), if any. */
export function videoTrack(header: StoredHeader): MkvTrack | undefined {
  return header.trackList.find((t) => t.type === 1) ?? header.trackList[0];
}

export function fragmentSamples(header: StoredHeader, record: FragmentRecord, cluster: Buffer, trackNumber: number): FragmentSamples {
  const toTicks = (timecode: number): number => Math.round((timecode * header.timecodeScaleNs * HLS_TIMESCALE) / 1e9);
  const reader = new MkvReader();
  const frames: { pts: number; keyframe: boolean; data: Uint8Array }[] = [];
  for (const e of [...reader.push(Buffer.concat([SEGMENT_OF_UNKNOWN_SIZE, cluster])), ...reader.end()]) {
    if (e.type === 'simpleBlock' && e.trackNumber === trackNumber && e.lacing === 0) {
      frames.push({ pts: toTicks(e.timecode), keyframe: e.keyframe, data: e.payload });
    }
  }
  if (frames.length === 0) return { baseDecodeTimeTicks: 0, samples: [] };
  // Blocks carry presentation times in decode order; decode times are the same times sorted, so a
  // B-frame stream gets composition offsets and a stream without B-frames gets none.
  const sorted = frames.map((f) => f.pts).sort((a, b) => a - b);
  // Decoding may not come after presenting: shift decode times back by the largest lag (B-frames only).
  let delay = 0;
  for (let i = 0; i < frames.length; i++) delay = Math.max(delay, sorted[i]! - frames[i]!.pts);
  const dts = sorted.map((t) => t - delay);
  const totalTicks = Math.round((record.durationMs * HLS_TIMESCALE) / 1000);
  const samples = frames.map((f, i) => {
    const next = i + 1 < dts.length ? dts[i + 1]! : dts[0]! + totalTicks;
    return { data: f.data, keyframe: f.keyframe, durationTicks: Math.max(1, next - dts[i]!), compositionOffsetTicks: f.pts - dts[i]! };
  });
  return { baseDecodeTimeTicks: dts[0]!, samples };
}
