/**
 * Real H.264 for the read-back tests: ffmpeg's test source encoded with libx264 (one keyframe per second,
 * no B-frames), cut into one fragment per GOP and written as MKV with kedge's writer (stream header +
 * one cluster per fragment, absolute millisecond timecodes).
 */
import { spawn } from 'node:child_process';
import { AnnexBAccessUnitParser, buildAvcc, lengthPrefixedPayload, type AccessUnit } from '../../../../../src/media/h264/index.js';
import { encodeCluster, encodeStreamHeader } from '../../../../../src/media/mkv/index.js';
import { ffmpegBin } from '../../../media/support/tools.js';

export const FPS = 25;

/** `seconds` of 320x240 test video as Annex B H.264 (GOP 25 = one second). */
export function encodeTestH264(seconds: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}`, '-t', String(seconds)];
    args.push('-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', String(FPS), '-bf', '0', '-f', 'h264', 'pipe:1');
    const child = spawn(ffmpegBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
}

export interface MuxedVideo {
  readonly header: Buffer;
  /** One cluster per GOP. */
  readonly fragments: Buffer[];
  /** Cluster timecodes (ms) and frame counts, per fragment. */
  readonly timecodes: number[];
  readonly frameCounts: number[];
  readonly frames: number;
}

export function muxH264(h264: Buffer, startMs: number): MuxedVideo {
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs, fps: FPS } });
  const units: AccessUnit[] = [];
  parser.push(h264, units);
  parser.end(units);
  const ps = parser.parameterSets()!;
  const header = Buffer.from(
    encodeStreamHeader({ track: { codecPrivate: buildAvcc([ps.sps.data], ps.pps.map((n) => n.data)), width: ps.spsInfo.width, height: ps.spsInfo.height } }),
  );
  const groups: AccessUnit[][] = [];
  for (const au of units) {
    if (au.keyframe || groups.length === 0) groups.push([]);
    groups[groups.length - 1]!.push(au);
  }
  const fragments = groups.map((g) =>
    Buffer.from(encodeCluster(g[0]!.timestampMs, g.map((au) => ({ timecode: au.timestampMs, keyframe: au.keyframe, payload: lengthPrefixedPayload(au.nalUnits) })))),
  );
  return { header, fragments, timecodes: groups.map((g) => g[0]!.timestampMs), frameCounts: groups.map((g) => g.length), frames: units.length };
}
