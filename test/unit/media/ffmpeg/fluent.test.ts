import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFfmpegArgs, parseFrameRate, probe } from '../../../../src/media/ffmpeg/fluent.js';
import { FfmpegError } from '../../../../src/media/ffmpeg/errors.js';
import { runTool } from '../../../../src/media/ffmpeg/run-tool.js';

const X264_SAMPLE = fileURLToPath(new URL('../../../fixtures/h264/kvs-sample-x264-640x480-46frames.h264', import.meta.url));

describe('ffmpeg command building (fluent-ffmpeg, wrapped)', () => {
  it('puts global and input options before -i, and output options, codec and format before the target', () => {
    const args = buildFfmpegArgs({
      globalOptions: ['-hide_banner'],
      inputs: [{ source: 'testsrc=size=320x240:rate=10', format: 'lavfi', nativeRate: true, options: ['-thread_queue_size', '64'] }],
      output: { target: 'pipe:1', format: 'h264', videoCodec: 'libx264', noAudio: true, videoFilters: ['scale=160:120', 'format=yuv420p'], options: ['-g', '10'] },
    });
    expect(args).toEqual([
      '-hide_banner', '-re', '-thread_queue_size', '64', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
      '-an', '-vcodec', 'libx264', '-filter:v', 'scale=160:120,format=yuv420p', '-g', '10', '-f', 'h264', 'pipe:1',
    ]);
  });

  it('keeps an input path with spaces as one argument and adds no -y for a pipe', () => {
    const args = buildFfmpegArgs({ inputs: [{ source: '/media/my clips/a b.mp4' }], output: { target: 'pipe:1', format: 'h264', videoCodec: 'copy' } });
    expect(args).toContain('/media/my clips/a b.mp4');
    expect(args).not.toContain('-y');
  });

  it('refuses an option with whitespace, which fluent-ffmpeg would silently split in two', () => {
    expect(() => buildFfmpegArgs({ inputs: [{ source: 'x', options: ['-metadata title=a b'] }], output: { target: 'pipe:1', format: 'h264', videoCodec: 'copy' } })).toThrow(
      expect.objectContaining({ code: 'FFMPEG_INVALID_COMMAND' }),
    );
    expect(() => buildFfmpegArgs({ inputs: [{ source: 'x' }], output: { target: 'pipe:1', format: 'h264', videoCodec: 'copy', options: ['-g 30'] } })).toThrow(FfmpegError);
  });

  it('refuses a command without inputs', () => {
    expect(() => buildFfmpegArgs({ inputs: [], output: { target: 'pipe:1', format: 'h264', videoCodec: 'copy' } })).toThrow(expect.objectContaining({ code: 'FFMPEG_INVALID_COMMAND' }));
  });

  it('reads ffprobe frame rates as ffmpeg prints them', () => {
    expect(parseFrameRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseFrameRate('25/1')).toBe(25);
    expect(parseFrameRate('0/0')).toBeUndefined();
    expect(parseFrameRate(undefined)).toBeUndefined();
  });
});

describe('ffprobe probing', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kedge-probe-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the codec, size and the exact frame count of a raw H.264 recording', async () => {
    const result = await probe(X264_SAMPLE, { ffprobePath: 'ffprobe', countFrames: true });
    expect(result.formatName).toBe('h264');
    expect(result.video).toMatchObject({ codec: 'h264', width: 640, height: 480, frames: 46 });
  });

  it('tells an MP4 container from a raw stream', async () => {
    const mp4 = join(dir, 'clip.mp4');
    const made = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-framerate', '25', '-i', X264_SAMPLE, '-c', 'copy', mp4]);
    expect(made.code).toBe(0);
    const result = await probe(mp4, { ffprobePath: 'ffprobe' });
    expect(result.formatName?.split(',')).toContain('mp4');
    expect(result.video).toMatchObject({ codec: 'h264', width: 640, height: 480 });
    expect(result.video?.frameRate).toBeCloseTo(25, 3);
  });

  it('fails with FFPROBE_FAILED and ffprobe\'s reason for a file that is not media', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a video\n');
    const error = await probe(text, { ffprobePath: 'ffprobe' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({ code: 'FFPROBE_FAILED' });
    expect((error as Error).message).toMatch(/notes\.txt/);
  });
});
