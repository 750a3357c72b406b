import { describe, expect, it } from 'vitest';
import {
  buildFileCommand,
  buildLibcameraCommand,
  buildRtspCommand,
  buildTestCommand,
  buildThermalCommand,
  buildV4l2Command,
  rtspTimeoutOptionFromHelp,
  thermalPaletteFromHelp,
} from '../../../../src/sources/camera/commands.js';
import { runTool } from '../../../../src/media/ffmpeg/run-tool.js';

/** The value after `flag` in argv. */
const after = (args: readonly string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};
/** Everything before `-i` (input options) and after it (output options). */
const split = (args: readonly string[]): { input: readonly string[]; output: readonly string[] } => {
  const i = args.lastIndexOf('-i');
  return { input: args.slice(0, i + 2), output: args.slice(i + 2) };
};

describe('capture command per source (built, not run)', () => {
  it('test: lavfi testsrc at native rate, libx264 with a fixed GOP of fps x gopSeconds, no B-frames, zerolatency, Annex B on stdout', () => {
    const c = buildTestCommand('ffmpeg', { fps: 25, gopSeconds: 2, width: 320, height: 240 });
    const { input, output } = split(c.args);
    expect(c.program).toBe('ffmpeg');
    expect(input).toEqual(['-hide_banner', '-nostats', '-loglevel', 'warning', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25']);
    expect(after(output, '-vcodec')).toBe('libx264');
    expect(after(output, '-g')).toBe('50');
    expect(after(output, '-keyint_min')).toBe('50');
    expect(after(output, '-sc_threshold')).toBe('0');
    expect(after(output, '-bf')).toBe('0');
    expect(after(output, '-tune')).toBe('zerolatency');
    expect(after(output, '-x264-params')).toBe('repeat-headers=1');
    expect(after(output, '-pix_fmt')).toBe('yuv420p');
    expect(after(output, '-flush_packets')).toBe('1');
    expect(output).toContain('-an');
    expect(output.slice(-3)).toEqual(['-f', 'h264', 'pipe:1']);
    expect(c).toMatchObject({ video: 'encode', encoder: 'libx264', quitWithQ: true, endsAtCleanExit: false, fps: 25 });
  });

  it('v4l2 with an H.264 camera: copied, SPS/PPS repeated with dump_extra', () => {
    const c = buildV4l2Command('ffmpeg', '/dev/video0', 'h264', 'libx264', { width: 1280, height: 720 });
    const { input, output } = split(c.args);
    expect(after(input, '-f')).toBe('v4l2');
    expect(after(input, '-input_format')).toBe('h264');
    expect(after(input, '-video_size')).toBe('1280x720');
    expect(after(input, '-i')).toBe('/dev/video0');
    expect(after(output, '-vcodec')).toBe('copy');
    expect(after(output, '-bsf:v')).toBe('dump_extra');
    expect(c.video).toBe('copy');
  });

  it('v4l2 with an MJPEG camera: encoded with the hardware encoder when chosen, with dump_extra for its missing SPS/PPS', () => {
    const c = buildV4l2Command('ffmpeg', '/dev/video0', 'mjpeg', 'h264_v4l2m2m', { fps: 30, gopSeconds: 1 });
    const { input, output } = split(c.args);
    expect(after(input, '-input_format')).toBe('mjpeg');
    expect(after(output, '-vcodec')).toBe('h264_v4l2m2m');
    expect(after(output, '-g')).toBe('30');
    expect(after(output, '-bsf:v')).toBe('dump_extra');
    expect(c).toMatchObject({ video: 'encode', encoder: 'h264_v4l2m2m' });
  });

  it('v4l2 with an MJPEG camera and no hardware encoder: libx264', () => {
    const c = buildV4l2Command('ffmpeg', '/dev/video0', 'mjpeg', 'libx264');
    expect(after(c.args, '-vcodec')).toBe('libx264');
    expect(after(c.args, '-g')).toBe('60');
  });

  it('thermal device: Y16 (gray16le) from V4L2 at 160x120 and 9 fps, normalised, false-coloured, scaled 4x, libx264', () => {
    const c = buildThermalCommand('ffmpeg', { type: 'device', path: '/dev/video2' });
    const { input, output } = split(c.args);
    expect(after(input, '-f')).toBe('v4l2');
    expect(after(input, '-input_format')).toBe('gray16le');
    expect(after(input, '-video_size')).toBe('160x120');
    expect(after(input, '-framerate')).toBe('9');
    expect(after(output, '-filter:v')).toBe('normalize=smoothing=9,format=yuv444p,pseudocolor=preset=turbo,scale=640:480:flags=neighbor,format=yuv420p');
    expect(after(output, '-g')).toBe('18');
    expect(c).toMatchObject({ encoder: 'libx264', fps: 9, endsAtCleanExit: false });
  });

  it('thermal recording: raw gray16le frames replayed at the sensor rate, ending at the end of the file unless looped', () => {
    const once = buildThermalCommand('ffmpeg', { type: 'file', path: '/rec/lepton.raw' });
    expect(split(once.args).input).toEqual(expect.arrayContaining(['-re', '-f', 'rawvideo', '-pixel_format', 'gray16le', '-i', '/rec/lepton.raw']));
    expect(once.endsAtCleanExit).toBe(true);
    const looped = buildThermalCommand('ffmpeg', { type: 'file', path: '/rec/lepton.raw' }, { loop: true });
    expect(after(split(looped.args).input, '-stream_loop')).toBe('-1');
    expect(looped.endsAtCleanExit).toBe(false);
  });

  it('thermal with an ffmpeg whose pseudocolor has no presets: a colour ramp from expressions (no commas to escape)', () => {
    const c = buildThermalCommand('ffmpeg', { type: 'device', path: '/dev/video2' }, {}, 'ramp');
    expect(after(c.args, '-filter:v')).toContain('pseudocolor=c1=255-val:c2=val');
  });

  it("picks the thermal palette from each real ffmpeg's pseudocolor help (presets since ffmpeg 5)", async () => {
    expect(thermalPaletteFromHelp((await runTool('ffmpeg', ['-hide_banner', '-h', 'filter=pseudocolor'])).stdout)).toBe('turbo');
    const npmBuild = (await import('@ffmpeg-installer/ffmpeg')).default.path;
    expect(thermalPaletteFromHelp((await runTool(npmBuild, ['-hide_banner', '-h', 'filter=pseudocolor'])).stdout)).toBe('ramp');
  });

  it('rtsp: over TCP with a socket timeout, copied, dump_extra', () => {
    const c = buildRtspCommand('ffmpeg', 'rtsp://cam/live', 'RTSP camera rtsp://cam/live');
    const { input, output } = split(c.args);
    expect(after(input, '-rtsp_transport')).toBe('tcp');
    expect(after(input, '-timeout')).toBe('5000000');
    expect(after(input, '-i')).toBe('rtsp://cam/live');
    expect(after(output, '-vcodec')).toBe('copy');
    expect(after(output, '-bsf:v')).toBe('dump_extra');
    expect(c.video).toBe('copy');
  });

  it('rtsp with an ffmpeg older than 5: the socket timeout is -stimeout, since -timeout there means listen for a connection', () => {
    const c = buildRtspCommand('ffmpeg', 'rtsp://cam/live', 'RTSP camera', '-stimeout');
    expect(after(split(c.args).input, '-stimeout')).toBe('5000000');
    expect(c.args).not.toContain('-timeout');
  });

  it("picks the RTSP timeout option from each real ffmpeg's own help (Debian's 5.x and the npm-shipped 4.x build)", async () => {
    const debian = await runTool('ffmpeg', ['-hide_banner', '-h', 'demuxer=rtsp']);
    expect(rtspTimeoutOptionFromHelp(debian.stdout)).toBe('-timeout');
    const npmBuild = (await import('@ffmpeg-installer/ffmpeg')).default.path;
    const old = await runTool(npmBuild, ['-hide_banner', '-h', 'demuxer=rtsp']);
    expect(old.stdout).toMatch(/-stimeout/);
    expect(rtspTimeoutOptionFromHelp(old.stdout)).toBe('-stimeout');
  });

  it('file with MP4 H.264: native rate, copied, length-prefixed samples turned into Annex B', () => {
    const c = buildFileCommand('ffmpeg', '/clips/a.mp4', { formatName: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264' });
    const { input, output } = split(c.args);
    expect(input).toContain('-re');
    expect(input).not.toContain('-framerate');
    expect(after(output, '-vcodec')).toBe('copy');
    expect(after(output, '-bsf:v')).toBe('h264_mp4toannexb,dump_extra');
    expect(c).toMatchObject({ video: 'copy', endsAtCleanExit: true });
  });

  it('file with raw H.264: read at the given frame rate (raw streams carry no timing), looped when asked', () => {
    const c = buildFileCommand('ffmpeg', '/clips/a.h264', { formatName: 'h264', codec: 'h264' }, { fps: 25, loop: true });
    const { input, output } = split(c.args);
    expect(after(input, '-framerate')).toBe('25');
    expect(after(input, '-stream_loop')).toBe('-1');
    expect(after(input, '-f')).toBe('h264');
    expect(after(output, '-bsf:v')).toBe('dump_extra');
    expect(c.endsAtCleanExit).toBe(false);
  });

  it('file with another codec: encoded with libx264', () => {
    const c = buildFileCommand('ffmpeg', '/clips/a.webm', { formatName: 'matroska,webm', codec: 'vp9' });
    expect(after(c.args, '-vcodec')).toBe('libx264');
    expect(c.video).toBe('encode');
  });

  it('libcamera: rpicam-vid writing Annex B to stdout with inline headers and a fixed intra period, no ffmpeg', () => {
    const c = buildLibcameraCommand('rpicam-vid', { fps: 30, gopSeconds: 2, bitrateKbps: 4000 });
    expect(c.program).toBe('rpicam-vid');
    expect(c.args).toEqual(['-t', '0', '-n', '--codec', 'h264', '--inline', '--intra', '60', '--framerate', '30', '--width', '1280', '--height', '720', '--flush', '-b', '4000000', '-o', '-']);
    expect(c).toMatchObject({ video: 'camera', quitWithQ: false });
  });
});
