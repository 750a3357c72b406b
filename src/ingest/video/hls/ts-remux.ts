/**
 * MPEG-TS segments (ContainerFormat MPEG_TS): ffmpeg remuxes the fragment's fMP4 (init + media segment)
 * with `-c copy`, keeping its absolute timestamps so consecutive segments line up. One short-lived
 * process per segment, so results are cached by the caller.
 */
import { spawn } from 'node:child_process';

/** A remux that has not finished by then is killed (a stuck ffmpeg must not hold the request). */
const REMUX_TIMEOUT_MS = 30_000;

export function remuxToMpegTs(ffmpegPath: string, fmp4: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpegPath,
      ['-hide_banner', '-loglevel', 'error', '-f', 'mp4', '-i', 'pipe:0', '-map', '0:v:0', '-c', 'copy', '-copyts', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', 'pipe:1'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), REMUX_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString();
    });
    child.stdin.on('error', () => {}); // ffmpeg quitting early surfaces through its exit code
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${ffmpegPath} for an MPEG-TS segment: ${err.message}; install ffmpeg or use ContainerFormat FRAGMENTED_MP4`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg could not remux a segment to MPEG-TS (exit ${code}): ${stderr.trim()}`));
    });
    child.stdin.end(fmp4);
  });
}
