import { KedgeError } from '../../core/errors.js';

/**
 * Errors of camera capture, each with a stable code a script can branch on:
 * - `CAMERA_NOT_FOUND`: the device (`/dev/videoN`, the Pi camera) does not exist.
 * - `SOURCE_FILE_NOT_FOUND`: a `file:` (or recorded `thermal:`) input does not exist.
 * - `RTSP_NOT_FOUND` / `RTSP_UNAUTHORIZED` / `RTSP_CONNECTION_REFUSED` / `RTSP_UNREACHABLE`: the camera's
 *   URL path is wrong (404), its credentials are refused, nothing listens at host:port, or the network is down.
 * - `CAMERA_BUSY`: another process holds the device. `CAMERA_PERMISSION_DENIED`: the user lacks access
 *   (group `video`).
 * - `CAMERA_INPUT_INVALID`: the input is not video kedge can use. `CAMERA_COMMAND_INVALID`: ffmpeg refused
 *   the command line (an encoder or filter this build lacks).
 * - `CAMERA_TOOL_NOT_FOUND`: rpicam-vid / libcamera-vid is not installed.
 * - `CAMERA_SOURCE_INVALID`: the `--source` text is not one kedge understands.
 * - `CAMERA_EXITED`: the capture process died without saying why.
 */
export type CameraErrorCode =
  | 'CAMERA_NOT_FOUND'
  | 'SOURCE_FILE_NOT_FOUND'
  | 'RTSP_NOT_FOUND'
  | 'RTSP_UNAUTHORIZED'
  | 'RTSP_CONNECTION_REFUSED'
  | 'RTSP_UNREACHABLE'
  | 'CAMERA_BUSY'
  | 'CAMERA_PERMISSION_DENIED'
  | 'CAMERA_INPUT_INVALID'
  | 'CAMERA_COMMAND_INVALID'
  | 'CAMERA_TOOL_NOT_FOUND'
  | 'CAMERA_SOURCE_INVALID'
  | 'CAMERA_EXITED';

/**
 * Failures that restarting cannot fix until someone changes the configuration or plugs the camera in.
 * On the first run (before any video arrived) capture stops with them instead of retrying.
 */
export const PERMANENT_CAMERA_ERRORS: ReadonlySet<CameraErrorCode> = new Set([
  'CAMERA_NOT_FOUND',
  'SOURCE_FILE_NOT_FOUND',
  'RTSP_NOT_FOUND',
  'RTSP_UNAUTHORIZED',
  'CAMERA_PERMISSION_DENIED',
  'CAMERA_INPUT_INVALID',
  'CAMERA_COMMAND_INVALID',
  'CAMERA_TOOL_NOT_FOUND',
  'CAMERA_SOURCE_INVALID',
]);

export class CameraError extends KedgeError {
  declare readonly code: CameraErrorCode;

  constructor(code: CameraErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  get permanent(): boolean {
    return PERMANENT_CAMERA_ERRORS.has(this.code);
  }
}
