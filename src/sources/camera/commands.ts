/**
 * The command line of each capture source, as pure functions of already-made decisions (which binary,
 * which input format, which encoder), so they can be checked without spawning anything. plan.ts makes the
 * decisions (probing devices and files) and calls these.
 *
 * Every command writes H.264 Annex B to stdout with SPS/PPS in front of every keyframe, because each KVS
 * fragment must decode on its own and kedge builds the avcC from in-band parameter sets:
 *  - libx264: `repeat-headers=1`; fixed GOP (`-g` = `-keyint_min` = fps x gopSeconds, no scene-cut
 *    keyframes), no B-frames (`-bf 0`, KVS wants decode order = presentation order), `zerolatency`;
 *  - copies (RTSP, H.264 UVC, files): the `dump_extra` bitstream filter;
 *  - rpicam-vid: `--inline`.
 * `-flush_packets 1` makes ffmpeg write each frame as soon as it has it: the capture timestamp is when
 * the bytes arrive, so buffering in ffmpeg would show up as latency.
 */
import { buildFfmpegArgs, type FfmpegCommandSpec, type FfmpegInput } from '../../media/ffmpeg/index.js';
import { DEFAULT_GOP_SECONDS, type CaptureSettings } from './source-spec.js';

export interface CaptureCommand {
  readonly program: string;
  readonly args: readonly string[];
  /** For logs: what runs and from where. */
  readonly description: string;
  /** `copy`: the input is H.264 already; `encode`: ffmpeg encodes with `encoder`; `camera`: the camera stack encodes. */
  readonly video: 'copy' | 'encode' | 'camera';
  readonly encoder: string | undefined;
  /** The process finishes cleanly when it reads `q` on stdin (ffmpeg); others get SIGINT first. */
  readonly quitWithQ: boolean;
  /** Exit code 0 means the input is over (a replay without loop): capture ends instead of restarting. */
  readonly endsAtCleanExit: boolean;
  /** Frames per second the command produces, when kedge decides it. */
  readonly fps: number | undefined;
}

export type H264Encoder = 'libx264' | 'h264_v4l2m2m';

const GLOBAL_OPTIONS = ['-hide_banner', '-nostats', '-loglevel', 'warning'];

export const gopFrames = (fps: number, settings: CaptureSettings): number => Math.max(1, Math.round(fps * (settings.gopSeconds ?? DEFAULT_GOP_SECONDS)));

/** Output options of an encoder producing fixed, self-contained keyframe groups. */
export function encoderOptions(encoder: H264Encoder, fps: number, settings: CaptureSettings): string[] {
  const gop = String(gopFrames(fps, settings));
  const rate = settings.bitrateKbps === undefined ? [] : ['-b:v', `${settings.bitrateKbps}k`, '-maxrate', `${settings.bitrateKbps}k`, '-bufsize', `${settings.bitrateKbps * 2}k`];
  if (encoder === 'h264_v4l2m2m') {
    // The Pi's encoder leaves SPS/PPS out of the stream (device.md §2.2); dump_extra puts them back at keyframes.
    return ['-g', gop, '-bf', '0', '-pix_fmt', 'yuv420p', ...(rate.length > 0 ? rate : ['-b:v', '2000k']), '-bsf:v', 'dump_extra'];
  }
  return [
    '-preset', 'ultrafast',
    '-tune', 'zerolatency',
    '-bf', '0',
    '-g', gop,
    '-keyint_min', gop,
    '-sc_threshold', '0',
    // 4:2:0 keeps the stream in a profile browsers and KVS's HLS play (testsrc and MJPEG would give 4:4:4 / 4:2:2).
    '-pix_fmt', 'yuv420p',
    '-x264-params', 'repeat-headers=1',
    ...rate,
  ];
}

function annexBCommand(ffmpeg: string, inputs: FfmpegInput[], video: { codec: string; filters?: string[]; options: string[] }): string[] {
  const spec: FfmpegCommandSpec = {
    globalOptions: GLOBAL_OPTIONS,
    inputs,
    output: {
      target: 'pipe:1',
      format: 'h264',
      videoCodec: video.codec,
      noAudio: true,
      ...(video.filters === undefined ? {} : { videoFilters: video.filters }),
      options: [...video.options, '-flush_packets', '1'],
    },
  };
  return buildFfmpegArgs(spec);
}

function ffmpegCommand(
  ffmpeg: string,
  description: string,
  args: string[],
  video: 'copy' | 'encode',
  encoder: string | undefined,
  fps: number | undefined,
  endsAtCleanExit = false,
): CaptureCommand {
  return { program: ffmpeg, args, description, video, encoder, quitWithQ: true, endsAtCleanExit, fps };
}

/** `test`: lavfi testsrc at the native rate (-re), so it behaves like a live camera. */
export function buildTestCommand(ffmpeg: string, settings: CaptureSettings = {}): CaptureCommand {
  const fps = settings.fps ?? 30;
  const size = `${settings.width ?? 640}x${settings.height ?? 480}`;
  const args = annexBCommand(ffmpeg, [{ source: `testsrc=size=${size}:rate=${fps}`, format: 'lavfi', nativeRate: true }], {
    codec: 'libx264',
    options: encoderOptions('libx264', fps, settings),
  });
  return ffmpegCommand(ffmpeg, `test pattern ${size}@${fps} (libx264)`, args, 'encode', 'libx264', fps);
}

/** `v4l2:DEVICE`: H.264 cameras are copied; MJPEG and raw ones encoded with `encoder`. */
export function buildV4l2Command(
  ffmpeg: string,
  device: string,
  inputFormat: 'h264' | 'mjpeg' | 'yuyv422',
  encoder: H264Encoder,
  settings: CaptureSettings = {},
): CaptureCommand {
  const fps = settings.fps ?? 30;
  const options = ['-input_format', inputFormat, '-framerate', String(fps)];
  if (settings.width !== undefined) options.push('-video_size', `${settings.width}x${settings.height}`);
  const input: FfmpegInput = { source: device, format: 'v4l2', options };
  if (inputFormat === 'h264') {
    const args = annexBCommand(ffmpeg, [input], { codec: 'copy', options: ['-bsf:v', 'dump_extra'] });
    return ffmpegCommand(ffmpeg, `V4L2 ${device} (H.264, copied)`, args, 'copy', undefined, fps);
  }
  const args = annexBCommand(ffmpeg, [input], { codec: encoder, options: encoderOptions(encoder, fps, settings) });
  return ffmpegCommand(ffmpeg, `V4L2 ${device} (${inputFormat}, ${encoder})`, args, 'encode', encoder, fps);
}

/** Lepton 3.x on a PureThermal board: 160x120 Y16 at about 9 Hz (device.md §3.1). */
export const THERMAL_DEFAULTS = { sensorWidth: 160, sensorHeight: 120, fps: 9, upscale: 4 } as const;

/**
 * The false-colour preview of a Y16 thermal camera. Radiometric Y16 (centikelvin) spans only a few
 * thousand of 65536 levels, so frames are stretched to the scene's range first (`normalize`, smoothed
 * over about a second so the picture does not pump, e.g. across a flat-field correction), coloured
 * (`pseudocolor` turbo), and scaled up without blurring pixels (`neighbor`). KVS will not take GRAY16
 * as video (device.md §1.6); the lossless temperatures belong in a data stream, not here.
 */
export function thermalFilters(fps: number, outWidth: number, outHeight: number, palette: ThermalPalette = 'turbo'): string[] {
  return [
    `normalize=smoothing=${Math.max(1, Math.round(fps))}`,
    'format=yuv444p',
    // Builds before ffmpeg 5 have no presets: a blue-to-orange ramp from expressions (cold: U high, V low).
    palette === 'turbo' ? 'pseudocolor=preset=turbo' : 'pseudocolor=c1=255-val:c2=val',
    `scale=${outWidth}:${outHeight}:flags=neighbor`,
    'format=yuv420p',
  ];
}

/** `turbo`: pseudocolor's preset (ffmpeg >= 5); `ramp`: an expression any pseudocolor understands. */
export type ThermalPalette = 'turbo' | 'ramp';

/** Whether `ffmpeg -h filter=pseudocolor` lists presets. */
export function thermalPaletteFromHelp(help: string): ThermalPalette {
  return /^\s*-?preset\s/m.test(help) ? 'turbo' : 'ramp';
}

/** `thermal:DEVICE` (a V4L2 Y16 camera) or `thermal:FILE` (raw gray16le frames, replayed at the sensor's rate). */
export function buildThermalCommand(
  ffmpeg: string,
  input: { readonly type: 'device' | 'file'; readonly path: string },
  settings: CaptureSettings = {},
  palette: ThermalPalette = 'turbo',
): CaptureCommand {
  const fps = settings.fps ?? THERMAL_DEFAULTS.fps;
  const sw = settings.sensorWidth ?? THERMAL_DEFAULTS.sensorWidth;
  const sh = settings.sensorHeight ?? THERMAL_DEFAULTS.sensorHeight;
  const outWidth = settings.width ?? sw * THERMAL_DEFAULTS.upscale;
  const outHeight = settings.height ?? sh * THERMAL_DEFAULTS.upscale;
  const size = `${sw}x${sh}`;
  const ffInput: FfmpegInput =
    input.type === 'device'
      ? { source: input.path, format: 'v4l2', options: ['-input_format', 'gray16le', '-video_size', size, '-framerate', String(fps)] }
      : {
          source: input.path,
          format: 'rawvideo',
          nativeRate: true,
          options: [...(settings.loop ? ['-stream_loop', '-1'] : []), '-pixel_format', 'gray16le', '-video_size', size, '-framerate', String(fps)],
        };
  const args = annexBCommand(ffmpeg, [ffInput], {
    codec: 'libx264',
    filters: thermalFilters(fps, outWidth, outHeight, palette),
    options: encoderOptions('libx264', fps, settings),
  });
  const what = input.type === 'device' ? `thermal ${input.path}` : `thermal recording ${input.path}`;
  return ffmpegCommand(ffmpeg, `${what} (Y16 ${size}, false colour, libx264)`, args, 'encode', 'libx264', fps, input.type === 'file' && !settings.loop);
}

/**
 * The RTSP demuxer's socket I/O timeout option: `-timeout` since ffmpeg 5, `-stimeout` before, where
 * `-timeout` meant something else entirely (wait for an incoming connection: listen mode).
 */
export type RtspTimeoutOption = '-timeout' | '-stimeout';

/** Which option `ffmpeg -h demuxer=rtsp` documents as the socket I/O timeout. */
export function rtspTimeoutOptionFromHelp(help: string): RtspTimeoutOption {
  return /^\s*-stimeout\s/m.test(help) ? '-stimeout' : '-timeout';
}

/** `rtsp://`: over TCP (no UDP loss or NAT trouble), copied, SPS/PPS repeated at keyframes. */
export function buildRtspCommand(ffmpeg: string, url: string, description: string, timeoutOption: RtspTimeoutOption = '-timeout'): CaptureCommand {
  const input: FfmpegInput = {
    source: url,
    format: 'rtsp',
    // A socket I/O timeout (5 s, in microseconds), so a camera that stops answering ends the process and
    // the supervisor reconnects, instead of a silent hang.
    options: ['-rtsp_transport', 'tcp', timeoutOption, '5000000'],
  };
  const args = annexBCommand(ffmpeg, [input], { codec: 'copy', options: ['-bsf:v', 'dump_extra'] });
  return ffmpegCommand(ffmpeg, `${description} (copied)`, args, 'copy', undefined, undefined);
}

/** What ffprobe said about a `file:` input. */
export interface FileInputInfo {
  /** ffprobe's format name: `h264` for a raw Annex B file, `mov,mp4,m4a,3gp,3g2,mj2` for MP4. */
  readonly formatName: string;
  readonly codec: string | undefined;
}

/**
 * `file:PATH`: replayed at its native rate (-re). H.264 is copied (MP4's length-prefixed samples turned
 * into Annex B); anything else is encoded. A raw H.264 file carries no timing, so it is read at `fps`.
 */
export function buildFileCommand(ffmpeg: string, path: string, info: FileInputInfo, settings: CaptureSettings = {}): CaptureCommand {
  const raw = info.formatName.split(',').includes('h264');
  const options = settings.loop ? ['-stream_loop', '-1'] : [];
  const fps = raw ? (settings.fps ?? 30) : settings.fps;
  if (raw) options.push('-framerate', String(fps));
  const input: FfmpegInput = { source: path, nativeRate: true, options, ...(raw ? { format: 'h264' } : {}) };
  const ends = !settings.loop;
  if (info.codec === 'h264') {
    const bsf = raw ? 'dump_extra' : 'h264_mp4toannexb,dump_extra';
    const args = annexBCommand(ffmpeg, [input], { codec: 'copy', options: ['-bsf:v', bsf] });
    return ffmpegCommand(ffmpeg, `file ${path} (H.264, copied)`, args, 'copy', undefined, fps, ends);
  }
  const encodeFps = fps ?? 30;
  const args = annexBCommand(ffmpeg, [input], { codec: 'libx264', options: encoderOptions('libx264', encodeFps, settings) });
  return ffmpegCommand(ffmpeg, `file ${path} (${info.codec ?? 'unknown codec'}, libx264)`, args, 'encode', 'libx264', fps, ends);
}

/**
 * `libcamera`: rpicam-vid writes Annex B to stdout itself (no ffmpeg): `--inline` repeats SPS/PPS at every
 * I-frame, `--intra` fixes the GOP, `--flush` writes each frame at once (device.md §2.1).
 */
export function buildLibcameraCommand(program: string, settings: CaptureSettings = {}): CaptureCommand {
  const fps = settings.fps ?? 30;
  const args = [
    '-t', '0',
    '-n',
    '--codec', 'h264',
    '--inline',
    '--intra', String(gopFrames(fps, settings)),
    '--framerate', String(fps),
    '--width', String(settings.width ?? 1280),
    '--height', String(settings.height ?? 720),
    '--flush',
  ];
  if (settings.bitrateKbps !== undefined) args.push('-b', String(settings.bitrateKbps * 1000));
  args.push('-o', '-');
  return { program, args, description: `Raspberry Pi camera via ${program}`, video: 'camera', encoder: undefined, quitWithQ: false, endsAtCleanExit: false, fps };
}
