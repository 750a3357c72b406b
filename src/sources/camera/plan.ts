/**
 * Decides how to capture a source on this machine and returns the command: finds ffmpeg, checks that the
 * device or file exists (a missing one fails here, before any process runs), asks the camera which formats
 * it offers, asks ffmpeg which encoders it has, and asks ffprobe what a file holds.
 */
import {
  listEncoders,
  locateFfmpeg,
  probe,
  runTool,
  type FfmpegLocation,
  type LocateOptions,
  type ProbeResult,
} from '../../media/ffmpeg/index.js';
import {
  buildFileCommand,
  buildLibcameraCommand,
  buildRtspCommand,
  buildTestCommand,
  buildThermalCommand,
  buildV4l2Command,
  rtspTimeoutOptionFromHelp,
  thermalPaletteFromHelp,
  type CaptureCommand,
  type H264Encoder,
  type RtspTimeoutOption,
  type ThermalPalette,
} from './commands.js';
import { hasV4l2HardwareEncoder, probeDevicePath, probeInputFile } from './device-probe.js';
import { CameraError } from './errors.js';
import { checkCaptureSettings, describeSource, type CameraSource, type CaptureSettings } from './source-spec.js';
import { listV4l2Formats, pickV4l2InputFormat, type V4l2Format } from './v4l2-formats.js';

/** The probes plan() runs; replaceable in tests. */
export interface PlanProbes {
  locate(options: LocateOptions): Promise<FfmpegLocation>;
  encoders(ffmpeg: string): Promise<Set<string>>;
  hardwareEncoder(): Promise<boolean>;
  v4l2Formats(ffmpeg: string, device: string): Promise<{ formats: V4l2Format[]; stderr: string }>;
  probeFile(path: string, ffprobe: string): Promise<ProbeResult>;
  /** The first of rpicam-vid / libcamera-vid that runs, or undefined. */
  libcameraTool(): Promise<string | undefined>;
  /** The RTSP socket-timeout option this ffmpeg has. */
  rtspTimeoutOption(ffmpeg: string): Promise<RtspTimeoutOption>;
  /** The false-colour palette this ffmpeg's pseudocolor filter can do. */
  thermalPalette(ffmpeg: string): Promise<ThermalPalette>;
}

export const systemProbes: PlanProbes = {
  locate: (options) => locateFfmpeg(options),
  encoders: (ffmpeg) => listEncoders(ffmpeg),
  hardwareEncoder: () => hasV4l2HardwareEncoder(),
  v4l2Formats: (ffmpeg, device) => listV4l2Formats(ffmpeg, device),
  probeFile: (path, ffprobe) => probe(path, { ffprobePath: ffprobe }),
  libcameraTool: async () => {
    for (const tool of ['rpicam-vid', 'libcamera-vid']) {
      const result = await runTool(tool, ['--version'], 10_000);
      if (result.spawnError === undefined) return tool;
    }
    return undefined;
  },
  rtspTimeoutOption: async (ffmpeg) => rtspTimeoutOptionFromHelp((await runTool(ffmpeg, ['-hide_banner', '-h', 'demuxer=rtsp'])).stdout),
  thermalPalette: async (ffmpeg) => thermalPaletteFromHelp((await runTool(ffmpeg, ['-hide_banner', '-h', 'filter=pseudocolor'])).stdout),
};

export interface PlanOptions {
  readonly source: CameraSource;
  readonly settings?: CaptureSettings;
  /** Configured ffmpeg/ffprobe paths (else PATH, else the npm builds). */
  readonly ffmpeg?: LocateOptions;
  readonly probes?: Partial<PlanProbes>;
}

export async function planCapture(options: PlanOptions): Promise<CaptureCommand> {
  const settings = options.settings ?? {};
  checkCaptureSettings(settings);
  const probes: PlanProbes = { ...systemProbes, ...options.probes };
  const { source } = options;
  if (source.kind === 'libcamera') {
    const tool = await probes.libcameraTool();
    if (tool === undefined) {
      throw new CameraError('CAMERA_TOOL_NOT_FOUND', 'Neither rpicam-vid nor libcamera-vid is installed; install rpicam-apps (apt install rpicam-apps) or use --source v4l2:/dev/videoN.');
    }
    return buildLibcameraCommand(tool, settings);
  }
  // Devices and files are checked before ffmpeg is looked for: the most likely mistake is the path.
  if (source.kind === 'v4l2') await probeDevicePath(source.device);
  const thermalKind = source.kind === 'thermal' ? await probeDevicePath(source.device, { allowFile: true, what: 'thermal camera' }) : undefined;
  if (source.kind === 'file') await probeInputFile(source.path);

  const ffmpeg = await probes.locate(options.ffmpeg ?? {});
  switch (source.kind) {
    case 'test':
      return buildTestCommand(ffmpeg.ffmpeg, settings);
    case 'rtsp':
      return buildRtspCommand(ffmpeg.ffmpeg, source.url, describeSource(source), await probes.rtspTimeoutOption(ffmpeg.ffmpeg));
    case 'thermal':
      return buildThermalCommand(ffmpeg.ffmpeg, { type: thermalKind === 'file' ? 'file' : 'device', path: source.device }, settings, await probes.thermalPalette(ffmpeg.ffmpeg));
    case 'v4l2': {
      const inputFormat = await chooseV4l2Format(probes, ffmpeg.ffmpeg, source.device, settings);
      const encoder = inputFormat === 'h264' ? 'libx264' : await chooseEncoder(probes, ffmpeg.ffmpeg, settings);
      return buildV4l2Command(ffmpeg.ffmpeg, source.device, inputFormat, encoder, settings);
    }
    case 'file': {
      let info: ProbeResult;
      try {
        info = await probes.probeFile(source.path, ffmpeg.ffprobe);
      } catch (error) {
        throw new CameraError('CAMERA_INPUT_INVALID', `${source.path} is not a video file ffmpeg can read (${(error as Error).message}); pass an H.264 or MP4 recording.`, { cause: error });
      }
      if (info.video === undefined || info.formatName === undefined) {
        throw new CameraError('CAMERA_INPUT_INVALID', `${source.path} has no video stream; pass an H.264 or MP4 recording.`);
      }
      return buildFileCommand(ffmpeg.ffmpeg, source.path, { formatName: info.formatName, codec: info.video.codec }, settings);
    }
  }
}

async function chooseV4l2Format(probes: PlanProbes, ffmpeg: string, device: string, settings: CaptureSettings): Promise<'h264' | 'mjpeg' | 'yuyv422'> {
  const wanted = settings.inputFormat ?? 'auto';
  if (wanted !== 'auto') return wanted;
  const { formats, stderr } = await probes.v4l2Formats(ffmpeg, device);
  const picked = pickV4l2InputFormat(formats);
  if (picked !== undefined) return picked;
  if (/Device or resource busy/i.test(stderr)) throw new CameraError('CAMERA_BUSY', `${device} is in use by another process; stop it (fuser ${device}) and try again.`);
  if (/Permission denied/i.test(stderr)) throw new CameraError('CAMERA_PERMISSION_DENIED', `Not allowed to open ${device}; add the user to the "video" group.`);
  const offered = formats.map((f) => f.name).join(', ');
  throw new CameraError(
    'CAMERA_INPUT_INVALID',
    offered === ''
      ? `${device} lists no video formats; is it a capture device? (v4l2-ctl -d ${device} --list-formats-ext)`
      : `${device} offers ${offered}, none of h264, mjpeg or yuyv422; pass a camera that does.`,
  );
}

async function chooseEncoder(probes: PlanProbes, ffmpeg: string, settings: CaptureSettings): Promise<H264Encoder> {
  const wanted = settings.encoder ?? 'auto';
  const encoders = await probes.encoders(ffmpeg);
  if (wanted !== 'auto') {
    if (!encoders.has(wanted)) throw new CameraError('CAMERA_COMMAND_INVALID', `This ffmpeg has no ${wanted} encoder; pick another encoder or install an ffmpeg that has it.`);
    return wanted;
  }
  // Debian-style builds list h264_v4l2m2m on every machine; use it only where the hardware is there.
  if (encoders.has('h264_v4l2m2m') && (await probes.hardwareEncoder())) return 'h264_v4l2m2m';
  if (encoders.has('libx264')) return 'libx264';
  throw new CameraError('CAMERA_COMMAND_INVALID', 'This ffmpeg has neither libx264 nor a V4L2 hardware H.264 encoder; install a full ffmpeg build (apt install ffmpeg).');
}
