import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Debian's ffmpeg/ffprobe when installed (CI installs them), else the npm-shipped builds. */
export const ffmpegBin = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const ffprobeBin = existsSync('/usr/bin/ffprobe') ? '/usr/bin/ffprobe' : (require('@ffprobe-installer/ffprobe') as { path: string }).path;
/** mkvtoolnix has no npm build; CI installs it. */
export const mkvinfoBin = 'mkvinfo';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new Error(`${cmd} could not start: ${err.message}`));
        return;
      }
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs ffmpeg and returns its stdout as chunks, in the sizes the pipe delivered them. */
export function ffmpegChunks(args: readonly string[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(chunks) : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}
