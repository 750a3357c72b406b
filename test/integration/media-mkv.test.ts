import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnnexBAccessUnitParser, buildAvcc, lengthPrefixedPayload, type AccessUnit } from '../../src/media/h264/index.js';
import { encodeCluster, encodeStreamHeader, MkvReader, type MkvEvent } from '../../src/media/mkv/index.js';
import { readFixture, RASPIVID, X264_SAMPLE } from '../unit/media/support/fixtures.js';
import { muxAnnexB } from '../unit/media/support/mux.js';
import { ffmpegBin, ffprobeBin, mkvinfoBin, run } from '../unit/media/support/tools.js';

const START_MS = 1_700_000_000_000; // an absolute, epoch-millisecond timecode as KVS ABSOLUTE mode uses

let dir: string;
const children = new Set<ChildProcess>();
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kedge-media-mkv-'));
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function probeFrames(file: string): Promise<{ width: number; height: number; frames: number; codec: string }> {
  const r = await run(ffprobeBin, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file]);
  expect(r.code, r.stderr).toBe(0);
  const s = (JSON.parse(r.stdout) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[] }).streams[0]!;
  return { width: s.width, height: s.height, frames: Number(s.nb_read_frames), codec: s.codec_name };
}

async function decodesCleanly(file: string): Promise<void> {
  const r = await run(ffmpegBin, ['-v', 'error', '-i', file, '-f', 'null', '-']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
}

describe('MKV written by kedge, checked by mkvtoolnix and ffmpeg', () => {
  it('writes the x264 sample as MKV that mkvinfo accepts, with the track, 2 clusters and 46 frames', async () => {
    const { mkv, clusters } = muxAnnexB([readFixture(X264_SAMPLE)], { kind: 'frameRate', startMs: START_MS }, { tags: [{ name: 'camera', value: 'kvs-sample' }] });
    expect(clusters).toBe(2);
    const file = save('x264.mkv', mkv);
    const info = await run(mkvinfoBin, ['-v', file]);
    expect(info.code, info.stderr + info.stdout).toBe(0);
    expect(info.stdout).toContain('Codec ID: V_MPEG4/ISO/AVC');
    expect(info.stdout).toContain('Pixel width: 640');
    expect(info.stdout).toContain('Pixel height: 480');
    expect(info.stdout).toContain('Timestamp scale: 1000000');
    expect(info.stdout).toContain('Segment: size unknown');
    expect(info.stdout.match(/^\|\+ Cluster/gm)).toHaveLength(2);
    expect(info.stdout.match(/Simple block: key/g)).toHaveLength(2);
    expect(info.stdout.match(/Simple block/g)).toHaveLength(46);
    expect(info.stdout.match(/String: kvs-sample/g)).toHaveLength(2);
    expect(info.stdout).not.toMatch(/Warning|Error/);
  });

  it('writes both fixtures as MKV that ffprobe counts frame for frame with the right size and ffmpeg decodes without errors', async () => {
    for (const [fixture, fps, frames, width, height] of [[X264_SAMPLE, 25, 46, 640, 480], [RASPIVID, 25, 61, 1920, 1080]] as const) {
      const { mkv } = muxAnnexB([readFixture(fixture)], { kind: 'frameRate', startMs: START_MS, fps });
      const file = save(`probe-${frames}.mkv`, mkv);
      expect(await probeFrames(file)).toEqual({ codec: 'h264', width, height, frames });
      await decodesCleanly(file);
    }
  });

  it('gives ffprobe the absolute millisecond timestamps of the clusters and blocks', async () => {
    const { mkv } = muxAnnexB([readFixture(RASPIVID)], { kind: 'frameRate', startMs: START_MS, fps: 25 });
    const file = save('timestamps.mkv', mkv);
    const r = await run(ffprobeBin, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,flags', '-of', 'csv=p=0', file]);
    expect(r.code).toBe(0);
    const packets = r.stdout.trim().split('\n').map((l) => l.split(','));
    expect(packets).toHaveLength(61);
    expect(packets.slice(0, 3).map((p) => Number(p[0]))).toEqual([START_MS, START_MS + 40, START_MS + 80]);
    expect(packets.filter((p) => p[1]!.startsWith('K')).map((p) => Number(p[0]))).toEqual([START_MS, START_MS + 60 * 40]);
  });

  it('keeps a resent stream header (a PutMedia reconnect) playable: ffmpeg decodes the second session from its keyframe', async () => {
    const { mkv } = muxAnnexB([readFixture(X264_SAMPLE)], { kind: 'frameRate', startMs: START_MS });
    const events = new MkvReader().push(mkv);
    const secondCluster = events.filter((e) => e.type === 'clusterStart')[1]!.offset;
    const headerEnd = events.find((e) => e.type === 'clusterStart')!.offset;
    // What a reconnect sends: a fresh header, then the clusters not yet persisted.
    const file = save('reconnect.mkv', Buffer.concat([mkv.subarray(0, headerEnd), mkv.subarray(secondCluster)]));
    expect(await probeFrames(file)).toMatchObject({ frames: 1, width: 640, height: 480 });
    await decodesCleanly(file);
  });

  it('muxes live ffmpeg output piped through the Annex B parser into the writer: ffprobe counts 90 frames', async () => {
    // The command of issue 4, as is: libx264's defaults include B-frames.
    const live = await liveMux([]);
    expect(live.chunks).toBeGreaterThan(1); // really streamed, not one read
    expect(live.accessUnits.filter((a) => a.keyframe).map((a) => a.index)).toEqual([0, 30, 60]);
    expect(live.accessUnits.some((a) => a.bidirectional)).toBe(true); // flagged, so a camera source can refuse them
    const file = save('live.mkv', live.mkv);
    expect(await probeFrames(file)).toEqual({ codec: 'h264', width: 320, height: 240, frames: 90 });
    const events: MkvEvent[] = new MkvReader().push(live.mkv);
    expect(events.filter((e) => e.type === 'clusterStart').map((e) => e.type === 'clusterStart' && e.timecode)).toEqual([START_MS, START_MS + 1_000, START_MS + 2_000]);
  });

  it('muxes live ffmpeg output without B-frames (-bf 0, as KVS wants) into MKV that ffmpeg decodes without a single message', async () => {
    const live = await liveMux(['-bf', '0']);
    expect(live.accessUnits.some((a) => a.bidirectional)).toBe(false);
    const file = save('live-no-b.mkv', live.mkv);
    expect(await probeFrames(file)).toEqual({ codec: 'h264', width: 320, height: 240, frames: 90 });
    await decodesCleanly(file);
  });
});

/** ffmpeg's testsrc encoded live, its stdout fed chunk by chunk to the parser, one cluster per GOP. */
async function liveMux(extraArgs: string[]): Promise<{ mkv: Buffer; chunks: number; accessUnits: AccessUnit[] }> {
  const child = spawn(
    ffmpegBin,
    ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-t', '3', '-c:v', 'libx264', '-g', '30', ...extraArgs, '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', 'pipe:1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: START_MS } }); // 30 fps from the SPS
  const out: Uint8Array[] = [];
  const accessUnits: AccessUnit[] = [];
  let gop: AccessUnit[] = [];
  let chunks = 0;
  const emitCluster = (): void => {
    if (gop.length === 0) return;
    if (out.length === 0) {
      const ps = parser.parameterSets()!;
      out.push(encodeStreamHeader({ track: { codecPrivate: buildAvcc([ps.sps.data], ps.pps.map((p) => p.data)), width: ps.spsInfo.width, height: ps.spsInfo.height } }));
    }
    out.push(encodeCluster(gop[0]!.timestampMs, gop.map((au) => ({ timecode: au.timestampMs, keyframe: au.keyframe, payload: lengthPrefixedPayload(au.nalUnits) }))));
    gop = [];
  };
  const take = (aus: AccessUnit[]): void => {
    for (const au of aus) {
      accessUnits.push(au);
      if (au.keyframe) emitCluster();
      gop.push(au);
    }
  };
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      chunks++;
      take(parser.push(chunk));
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  children.delete(child);
  expect(code, stderr).toBe(0);
  take(parser.end());
  emitCluster();
  return { mkv: Buffer.concat(out), chunks, accessUnits };
}
