import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnexBAccessUnitParser, buildAvcc, parseAvcc, type AccessUnit } from '../../src/media/h264/index.js';
import { MkvReader } from '../../src/media/mkv/index.js';
import { fixturePath, RASPIVID, readFixture, X264_SAMPLE } from '../unit/media/support/fixtures.js';
import { ffmpegBin, ffprobeBin, run } from '../unit/media/support/tools.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kedge-media-h264-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(bytes: Uint8Array, fps?: number): { aus: AccessUnit[]; parser: AnnexBAccessUnitParser } {
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 0, ...(fps ? { fps } : {}) } });
  const aus = parser.end(parser.push(bytes));
  return { aus, parser };
}

/** ffprobe's view of every decoded frame: key_frame flags in order. */
async function ffprobeKeyFrames(file: string): Promise<boolean[]> {
  const r = await run(ffprobeBin, ['-v', 'error', '-select_streams', 'v:0', '-show_frames', '-show_entries', 'frame=key_frame', '-of', 'json', file]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { frames: { key_frame: number }[] }).frames.map((f) => f.key_frame === 1);
}

async function ffprobeStream(file: string): Promise<Record<string, string>> {
  const r = await run(ffprobeBin, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,profile,r_frame_rate,pix_fmt', '-of', 'default=nw=1', file]);
  expect(r.code).toBe(0);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** The CodecPrivate ffmpeg writes when it remuxes an elementary stream into MKV, read with our reader. */
async function ffmpegCodecPrivate(h264File: string): Promise<Uint8Array> {
  const out = join(dir, `remux-${Math.random().toString(36).slice(2)}.mkv`);
  const r = await run(ffmpegBin, ['-v', 'error', '-y', '-i', h264File, '-c', 'copy', '-f', 'matroska', out]);
  expect(r.code).toBe(0);
  const tracks = new MkvReader().push(readFileSync(out)).find((e) => e.type === 'tracks');
  if (tracks?.type !== 'tracks') throw new Error('ffmpeg wrote no Tracks');
  return tracks.tracks[0]!.codecPrivate!;
}

function ourAvcc(parser: AnnexBAccessUnitParser): Uint8Array {
  const ps = parser.parameterSets()!;
  return buildAvcc([ps.sps.data], ps.pps.map((p) => p.data));
}

describe('H.264 parsing against ffprobe and ffmpeg', () => {
  it('finds the frames and keyframes ffprobe -show_frames reports, for both fixtures', async () => {
    for (const [fixture, fps, frames] of [[X264_SAMPLE, undefined, 46], [RASPIVID, 25, 61]] as const) {
      const expected = await ffprobeKeyFrames(fixturePath(fixture));
      expect(expected).toHaveLength(frames);
      const { aus } = parse(readFixture(fixture), fps);
      expect(aus.map((a) => a.keyframe)).toEqual(expected);
    }
  });

  it('reads the fixture SPSs as ffprobe does: 640x480 and 1920x1080 High profile', async () => {
    for (const fixture of [X264_SAMPLE, RASPIVID]) {
      const probe = await ffprobeStream(fixturePath(fixture));
      const sps = parse(readFixture(fixture), 25).parser.parameterSets()!.spsInfo;
      expect(probe.profile).toBe('High');
      expect(sps.profileIdc).toBe(100);
      expect([sps.width, sps.height]).toEqual([Number(probe.width), Number(probe.height)]);
    }
  });

  it('builds byte for byte the avcC ffmpeg puts in MKV CodecPrivate for the x264 sample', async () => {
    const theirs = await ffmpegCodecPrivate(fixturePath(X264_SAMPLE));
    expect(Buffer.from(ourAvcc(parse(readFixture(X264_SAMPLE)).parser)).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });

  it('builds the raspivid avcC as ffmpeg does, except the trailing zero ffmpeg keeps on the PPS', async () => {
    // The raspivid PPS is followed by 00 00 00 01: ffmpeg keeps that first 00 in the PPS, kedge does not,
    // because a NAL unit never ends in a zero byte (H.264 7.4.1: it is trailing_zero_8bits).
    const theirs = parseAvcc(await ffmpegCodecPrivate(fixturePath(RASPIVID)));
    const ours = parseAvcc(ourAvcc(parse(readFixture(RASPIVID), 25).parser));
    const hex = (list: readonly Uint8Array[]) => list.map((b) => Buffer.from(b).toString('hex'));
    expect(hex(ours.sps)).toEqual(hex(theirs.sps));
    expect(hex(theirs.pps)).toEqual(['28ee025cb000']);
    expect(hex(ours.pps)).toEqual(['28ee025cb0']);
    expect([ours.profileIdc, ours.profileCompatibility, ours.levelIdc, ours.nalLengthSize]).toEqual([theirs.profileIdc, theirs.profileCompatibility, theirs.levelIdc, 4]);
  });

  it('reads size, profile, frame rate and avcC of libx264 streams in every layout it can make, as ffmpeg does', async () => {
    const variants: { name: string; size: string; rate: number; args: string[]; profileIdc: number }[] = [
      { name: 'baseline', size: '176x144', rate: 15, args: ['-profile:v', 'baseline', '-pix_fmt', 'yuv420p'], profileIdc: 66 },
      { name: 'main', size: '1280x720', rate: 50, args: ['-profile:v', 'main', '-pix_fmt', 'yuv420p'], profileIdc: 77 },
      { name: 'high10-cropped', size: '200x120', rate: 24, args: ['-pix_fmt', 'yuv420p10le'], profileIdc: 110 },
      { name: 'high422-odd', size: '98x66', rate: 60, args: ['-pix_fmt', 'yuv422p10le'], profileIdc: 122 },
      { name: 'high444-scaling-lists', size: '322x242', rate: 30, args: ['-pix_fmt', 'yuv444p', '-x264-params', 'cqm=jvt'], profileIdc: 244 },
      { name: 'interlaced', size: '320x240', rate: 25, args: ['-pix_fmt', 'yuv420p', '-flags', '+ildct+ilme', '-x264-params', 'interlaced=1'], profileIdc: 100 },
      { name: 'monochrome', size: '64x48', rate: 10, args: ['-pix_fmt', 'gray'], profileIdc: 100 },
    ];
    // -bf 0: without B-frames ffmpeg can remux a raw stream (it has no timestamps to reorder by), and
    // KVS wants none anyway (kvs.md §2.2).
    for (const v of variants) {
      const file = join(dir, `${v.name}.h264`);
      const gen = await run(ffmpegBin, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${v.size}:rate=${v.rate}`, '-frames:v', '3', '-c:v', 'libx264', '-bf', '0', ...v.args, '-f', 'h264', file]);
      expect(gen.code, gen.stderr).toBe(0);
      const probe = await ffprobeStream(file);
      const { aus, parser } = parse(readFileSync(file));
      const sps = parser.parameterSets()!.spsInfo;
      expect({ name: v.name, width: sps.width, height: sps.height, fps: sps.frameRate }).toEqual({
        name: v.name,
        width: Number(probe.width),
        height: Number(probe.height),
        fps: Number(probe.r_frame_rate!.split('/')[0]) / Number(probe.r_frame_rate!.split('/')[1]),
      });
      expect(sps.profileIdc).toBe(v.profileIdc);
      expect(aus).toHaveLength(3);
      expect(Buffer.from(ourAvcc(parser)).toString('hex')).toBe(Buffer.from(await ffmpegCodecPrivate(file)).toString('hex'));
    }
  });
});
