/**
 * The only module that touches fluent-ffmpeg. The package is archived (2025-05) and deprecated on npm
 * (device.md §1.1), so kedge uses it for two things only, behind this file: turning a declarative command
 * into an argv array, and running ffprobe. kedge spawns and supervises ffmpeg itself (the supervisor in
 * sources/camera), so none of fluent-ffmpeg's process handling is on the capture path, and replacing the
 * package later means rewriting this one file.
 */
import ffmpeg from 'fluent-ffmpeg';
import { FfmpegError } from './errors.js';

export interface FfmpegInput {
  /** A path, a device, a URL or a lavfi graph: what follows `-i`. */
  readonly source: string;
  /** `-f` for this input (`lavfi`, `v4l2`, `rawvideo`...). */
  readonly format?: string;
  /** Read at the input's native rate (`-re`): a file or test pattern then behaves like a live camera. */
  readonly nativeRate?: boolean;
  /** Further input options, each flag and value its own element: `['-video_size', '1280x720']`. */
  readonly options?: readonly string[];
}

export interface FfmpegOutput {
  /** `pipe:1` (stdout) for capture. */
  readonly target: string;
  /** `-f` of the output (`h264`: raw Annex B). */
  readonly format: string;
  /** `-c:v` (`copy`, `libx264`, `h264_v4l2m2m`). */
  readonly videoCodec: string;
  /** Joined with commas into one `-filter:v`. */
  readonly videoFilters?: readonly string[];
  /** Drop audio (`-an`). */
  readonly noAudio?: boolean;
  /** Further output options, flag and value as separate elements. */
  readonly options?: readonly string[];
}

export interface FfmpegCommandSpec {
  /** Options placed before the first input (`-hide_banner`, `-loglevel warning`...). */
  readonly globalOptions?: readonly string[];
  readonly inputs: readonly FfmpegInput[];
  readonly output: FfmpegOutput;
}

/**
 * fluent-ffmpeg splits a lone option string at a space ("-f v4l2" becomes two arguments); a value with a
 * space of its own would be cut in two. Options here are always separate elements, so refuse spaces
 * rather than let the split happen silently. (Input sources and the output target may contain spaces.)
 */
function checkOptions(where: string, options: readonly string[]): void {
  for (const option of options) {
    if (/\s/.test(option)) {
      throw new FfmpegError('FFMPEG_INVALID_COMMAND', `${where} option "${option}" contains whitespace; pass the flag and its value as separate elements.`);
    }
  }
}

/** The ffmpeg argv (without the program) for `spec`. */
export function buildFfmpegArgs(spec: FfmpegCommandSpec): string[] {
  if (spec.inputs.length === 0) throw new FfmpegError('FFMPEG_INVALID_COMMAND', 'An ffmpeg command needs at least one input.');
  const command = ffmpeg();
  spec.inputs.forEach((input, i) => {
    command.input(input.source);
    const options: string[] = i === 0 ? [...(spec.globalOptions ?? [])] : [];
    if (input.nativeRate) options.push('-re');
    options.push(...(input.options ?? []));
    checkOptions('input', options);
    if (options.length > 0) command.inputOptions(...options);
    if (input.format !== undefined) command.inputFormat(input.format);
  });
  const { output } = spec;
  command.output(output.target);
  if (output.noAudio) command.noAudio();
  command.videoCodec(output.videoCodec);
  const filters = output.videoFilters ?? [];
  if (filters.length > 0) command.videoFilters(filters.join(','));
  const outputOptions = output.options ?? [];
  checkOptions('output', outputOptions);
  if (outputOptions.length > 0) command.outputOptions(...outputOptions);
  command.format(output.format);
  return command._getArguments();
}

/** What kedge needs from ffprobe about a video input. */
export interface ProbeResult {
  readonly formatName: string | undefined;
  readonly durationSeconds: number | undefined;
  readonly video:
    | {
        readonly codec: string | undefined;
        readonly profile: string | undefined;
        readonly width: number | undefined;
        readonly height: number | undefined;
        readonly pixelFormat: string | undefined;
        /** Frames per second from r_frame_rate, when ffprobe knows it. */
        readonly frameRate: number | undefined;
        /** Frames counted by decoding (`countFrames`), or the container's count. */
        readonly frames: number | undefined;
      }
    | undefined;
}

export interface ProbeOptions {
  readonly ffprobePath: string;
  /** Decode the whole input to count frames (`-count_frames`); slower, exact. */
  readonly countFrames?: boolean;
  /** Input options such as `['-f', 'h264']` for raw streams ffprobe cannot guess. */
  readonly inputOptions?: readonly string[];
}

const numberOrUndefined = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== 'unknown' && v !== 'N/A' ? v : undefined);

/** "30000/1001" -> 29.97; "0/0" -> undefined. */
export function parseFrameRate(rate: unknown): number | undefined {
  if (typeof rate !== 'string') return undefined;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return undefined;
  if (den === undefined) return num;
  return Number.isFinite(den) && den > 0 ? num / den : undefined;
}

/** Runs ffprobe on `input` (a path or URL). FFPROBE_FAILED with ffprobe's reason when it cannot. */
export function probe(input: string, options: ProbeOptions): Promise<ProbeResult> {
  const args = [...(options.inputOptions ?? [])];
  if (options.countFrames) args.push('-count_frames');
  checkOptions('ffprobe', args);
  return new Promise((resolve, reject) => {
    ffmpeg(input)
      .setFfprobePath(options.ffprobePath)
      .ffprobe(args, (err: unknown, data: ffmpeg.FfprobeData) => {
        if (err) {
          const message = err instanceof Error ? err.message : String(err);
          const reason = message.split('\n').map((l) => l.trim()).filter((l) => l !== '').pop() ?? message;
          reject(new FfmpegError('FFPROBE_FAILED', `ffprobe could not read ${input}: ${reason}`, { cause: err }));
          return;
        }
        const stream = data.streams.find((s) => s.codec_type === 'video');
        resolve({
          formatName: stringOrUndefined(data.format.format_name),
          durationSeconds: numberOrUndefined(data.format.duration),
          video:
            stream === undefined
              ? undefined
              : {
                  codec: stringOrUndefined(stream.codec_name),
                  profile: stringOrUndefined(stream.profile),
                  width: numberOrUndefined(stream.width),
                  height: numberOrUndefined(stream.height),
                  pixelFormat: stringOrUndefined(stream.pix_fmt),
                  frameRate: parseFrameRate(stream.r_frame_rate),
                  frames: numberOrUndefined(stream.nb_read_frames) ?? numberOrUndefined(stream.nb_frames),
                },
        });
      });
  });
}
