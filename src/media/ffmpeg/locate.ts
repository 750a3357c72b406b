/**
 * Finds the ffmpeg and ffprobe binaries: a configured path wins; otherwise the ones on PATH (Debian's,
 * Raspberry Pi OS's: built with the hardware encoders and libcamera support of the device); otherwise the
 * static builds the npm packages `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe` ship, so a
 * machine without ffmpeg installed still works. "On PATH" is tested by running the bare name, so the
 * lookup is the operating system's and this module reads no environment itself.
 */
import { createRequire } from 'node:module';
import { FfmpegError } from './errors.js';
import { runTool } from './run-tool.js';

export type BinarySource = 'config' | 'path' | 'npm';

export interface FfmpegLocation {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  readonly ffmpegFrom: BinarySource;
  readonly ffprobeFrom: BinarySource;
}

export interface LocateOptions {
  /** Use this ffmpeg (config `media.ffmpegPath`); it must run. */
  readonly ffmpegPath?: string;
  readonly ffprobePath?: string;
  /** Seams for tests: whether a program runs (`-version` exits 0), and the npm packages' paths. */
  readonly runs?: (program: string) => Promise<boolean>;
  readonly npmPaths?: () => { readonly ffmpeg: string | undefined; readonly ffprobe: string | undefined };
}

const require = createRequire(import.meta.url);

async function runsVersion(program: string): Promise<boolean> {
  const result = await runTool(program, ['-version'], 10_000);
  return result.code === 0;
}

/** The npm packages throw at require time when no build exists for this platform. */
function npmPackagePath(name: string): string | undefined {
  try {
    return (require(name) as { path?: unknown }).path as string | undefined;
  } catch {
    return undefined;
  }
}

function defaultNpmPaths(): { ffmpeg: string | undefined; ffprobe: string | undefined } {
  return { ffmpeg: npmPackagePath('@ffmpeg-installer/ffmpeg'), ffprobe: npmPackagePath('@ffprobe-installer/ffprobe') };
}

export async function locateFfmpeg(options: LocateOptions = {}): Promise<FfmpegLocation> {
  const runs = options.runs ?? runsVersion;
  const npm = (options.npmPaths ?? defaultNpmPaths)();
  const ffmpeg = await locateOne('ffmpeg', options.ffmpegPath, npm.ffmpeg, runs);
  const ffprobe = await locateOne('ffprobe', options.ffprobePath, npm.ffprobe, runs);
  return { ffmpeg: ffmpeg.path, ffprobe: ffprobe.path, ffmpegFrom: ffmpeg.from, ffprobeFrom: ffprobe.from };
}

async function locateOne(
  name: 'ffmpeg' | 'ffprobe',
  configured: string | undefined,
  npmPath: string | undefined,
  runs: (program: string) => Promise<boolean>,
): Promise<{ path: string; from: BinarySource }> {
  const code = name === 'ffmpeg' ? 'FFMPEG_NOT_FOUND' : 'FFPROBE_NOT_FOUND';
  if (configured !== undefined) {
    if (await runs(configured)) return { path: configured, from: 'config' };
    throw new FfmpegError(code, `The configured ${name} (${configured}) does not run; fix the path or remove it to use the ${name} on PATH.`);
  }
  if (await runs(name)) return { path: name, from: 'path' };
  if (npmPath !== undefined && (await runs(npmPath))) return { path: npmPath, from: 'npm' };
  throw new FfmpegError(
    code,
    `No ${name} found: none on PATH and the npm package @${name}-installer/${name} has no working build for this platform; install ${name} (apt install ffmpeg) or configure its path.`,
  );
}
