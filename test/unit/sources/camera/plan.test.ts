import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanProbes } from '../../../../src/sources/camera/plan.js';
import { planCapture } from '../../../../src/sources/camera/plan.js';
import { parseV4l2Formats } from '../../../../src/sources/camera/v4l2-formats.js';

const X264_SAMPLE = fileURLToPath(new URL('../../../fixtures/h264/kvs-sample-x264-640x480-46frames.h264', import.meta.url));
const MJPEG_CAMERA = '[video4linux2,v4l2 @ 0x1] Compressed:       mjpeg :          Motion-JPEG : 1280x720';
const H264_CAMERA = `${MJPEG_CAMERA}\n[video4linux2,v4l2 @ 0x1] Compressed:        h264 :                H.264 : 1280x720`;

/** Probes that answer as a given machine would; locate() is counted so tests can see it was not reached. */
function machine(options: { encoders?: string[]; hardware?: boolean; formats?: string; formatStderr?: string; tool?: string } = {}): Partial<PlanProbes> & { locateCalls: number } {
  const probes = {
    locateCalls: 0,
    locate: async () => {
      probes.locateCalls += 1;
      return { ffmpeg: '/opt/ff/ffmpeg', ffprobe: '/opt/ff/ffprobe', ffmpegFrom: 'config' as const, ffprobeFrom: 'config' as const };
    },
    encoders: async () => new Set(options.encoders ?? ['libx264', 'h264_v4l2m2m']),
    hardwareEncoder: async () => options.hardware ?? false,
    v4l2Formats: async () => ({ formats: parseV4l2Formats(options.formats ?? ''), stderr: options.formatStderr ?? options.formats ?? '' }),
    libcameraTool: async () => options.tool,
    rtspTimeoutOption: async () => '-timeout' as const,
    thermalPalette: async () => 'turbo' as const,
  };
  return probes;
}

describe('planning the capture of a source on this machine', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kedge-plan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails with CAMERA_NOT_FOUND for a missing /dev/videoN before even looking for ffmpeg', async () => {
    const probes = machine();
    await expect(planCapture({ source: { kind: 'v4l2', device: '/dev/video91' }, probes })).rejects.toMatchObject({ code: 'CAMERA_NOT_FOUND' });
    expect(probes.locateCalls).toBe(0);
  });

  it('copies an H.264 camera', async () => {
    const c = await planCapture({ source: { kind: 'v4l2', device: '/dev/null' }, probes: machine({ formats: H264_CAMERA }) });
    expect(c).toMatchObject({ program: '/opt/ff/ffmpeg', video: 'copy' });
  });

  it('encodes an MJPEG camera with libx264 when the ffmpeg build lists h264_v4l2m2m but the hardware is absent', async () => {
    const c = await planCapture({ source: { kind: 'v4l2', device: '/dev/null' }, probes: machine({ formats: MJPEG_CAMERA, hardware: false }) });
    expect(c).toMatchObject({ video: 'encode', encoder: 'libx264' });
  });

  it('encodes an MJPEG camera with h264_v4l2m2m where the hardware encoder exists (Pi 4)', async () => {
    const c = await planCapture({ source: { kind: 'v4l2', device: '/dev/null' }, probes: machine({ formats: MJPEG_CAMERA, hardware: true }) });
    expect(c).toMatchObject({ video: 'encode', encoder: 'h264_v4l2m2m' });
  });

  it('refuses an encoder the ffmpeg build does not have with CAMERA_COMMAND_INVALID', async () => {
    const probes = machine({ formats: MJPEG_CAMERA, encoders: ['libx264'] });
    await expect(planCapture({ source: { kind: 'v4l2', device: '/dev/null' }, settings: { encoder: 'h264_v4l2m2m' }, probes })).rejects.toMatchObject({ code: 'CAMERA_COMMAND_INVALID' });
  });

  it('reports CAMERA_BUSY when the camera lists no formats because another process holds it', async () => {
    const probes = machine({ formats: '', formatStderr: '[video4linux2,v4l2 @ 0x1] ioctl(VIDIOC_G_FMT): Device or resource busy' });
    await expect(planCapture({ source: { kind: 'v4l2', device: '/dev/null' }, probes })).rejects.toMatchObject({ code: 'CAMERA_BUSY' });
  });

  it('fails with SOURCE_FILE_NOT_FOUND for a missing file: input', async () => {
    await expect(planCapture({ source: { kind: 'file', path: join(dir, 'missing.mp4') }, probes: machine() })).rejects.toMatchObject({ code: 'SOURCE_FILE_NOT_FOUND' });
  });

  it('fails with CAMERA_INPUT_INVALID for a file ffprobe cannot read (real ffprobe)', async () => {
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'not a video');
    await expect(planCapture({ source: { kind: 'file', path: text } })).rejects.toMatchObject({ code: 'CAMERA_INPUT_INVALID' });
  });

  it('copies a raw H.264 recording, probed with the real ffprobe', async () => {
    const c = await planCapture({ source: { kind: 'file', path: X264_SAMPLE }, settings: { fps: 25 } });
    expect(c).toMatchObject({ program: 'ffmpeg', video: 'copy', endsAtCleanExit: true, fps: 25 });
  });

  it('replays a regular file given as thermal: as raw Y16 frames', async () => {
    const raw = join(dir, 'lepton.raw');
    writeFileSync(raw, Buffer.alloc(38_400 * 2));
    const c = await planCapture({ source: { kind: 'thermal', device: raw }, probes: machine() });
    expect(c.args).toEqual(expect.arrayContaining(['-f', 'rawvideo', '-pixel_format', 'gray16le', '-i', raw]));
  });

  it('fails with CAMERA_NOT_FOUND for a missing thermal camera', async () => {
    await expect(planCapture({ source: { kind: 'thermal', device: '/dev/video92' }, probes: machine() })).rejects.toMatchObject({ code: 'CAMERA_NOT_FOUND' });
  });

  it('fails with CAMERA_TOOL_NOT_FOUND when neither rpicam-vid nor libcamera-vid is installed', async () => {
    await expect(planCapture({ source: { kind: 'libcamera' }, probes: machine({ tool: undefined }) })).rejects.toMatchObject({
      code: 'CAMERA_TOOL_NOT_FOUND',
      message: expect.stringContaining('rpicam-apps'),
    });
  });

  it('runs the libcamera tool that is installed, without ffmpeg', async () => {
    const probes = machine({ tool: 'libcamera-vid' });
    const c = await planCapture({ source: { kind: 'libcamera' }, probes });
    expect(c.program).toBe('libcamera-vid');
    expect(probes.locateCalls).toBe(0);
  });

  it('refuses bad settings with CAMERA_SOURCE_INVALID before probing anything', async () => {
    await expect(planCapture({ source: { kind: 'test' }, settings: { gopSeconds: 40 }, probes: machine() })).rejects.toMatchObject({ code: 'CAMERA_SOURCE_INVALID' });
  });
});
