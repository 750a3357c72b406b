import { KedgeError } from '../../core/errors.js';

/**
 * Codes: `FFMPEG_NOT_FOUND` / `FFPROBE_NOT_FOUND` (no runnable binary on the configured path, on PATH, or
 * from the npm-shipped package), `FFMPEG_INVALID_COMMAND` (a command the wrapper refuses to build),
 * `FFPROBE_FAILED` (ffprobe ran but could not read the input).
 */
export type FfmpegErrorCode = 'FFMPEG_NOT_FOUND' | 'FFPROBE_NOT_FOUND' | 'FFMPEG_INVALID_COMMAND' | 'FFPROBE_FAILED';

export class FfmpegError extends KedgeError {
  declare readonly code: FfmpegErrorCode;

  constructor(code: FfmpegErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
