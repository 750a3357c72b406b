/**
 * What a capture process's failure means for a given source: the stderr causes of media/ffmpeg mapped to
 * camera error codes with messages that say what to change.
 */
import { classifyToolStderr, type ToolFailureKind } from '../../media/ffmpeg/index.js';
import { CameraError, type CameraErrorCode } from './errors.js';
import { describeSource, type CameraSource } from './source-spec.js';
import type { ProcessFailure } from './supervisor.js';

function codeFor(kind: ToolFailureKind, source: CameraSource): CameraErrorCode {
  switch (kind) {
    case 'not-found':
      if (source.kind === 'file') return 'SOURCE_FILE_NOT_FOUND';
      return source.kind === 'rtsp' ? 'RTSP_NOT_FOUND' : 'CAMERA_NOT_FOUND';
    case 'remote-not-found':
      return 'RTSP_NOT_FOUND';
    case 'unauthorized':
      return 'RTSP_UNAUTHORIZED';
    case 'connection-refused':
      return 'RTSP_CONNECTION_REFUSED';
    case 'unreachable':
      return 'RTSP_UNREACHABLE';
    case 'busy':
      return 'CAMERA_BUSY';
    case 'permission-denied':
      return 'CAMERA_PERMISSION_DENIED';
    case 'invalid-input':
      return 'CAMERA_INPUT_INVALID';
    case 'bad-command':
      return 'CAMERA_COMMAND_INVALID';
  }
}

const ADVICE: Record<CameraErrorCode, string> = {
  CAMERA_NOT_FOUND: 'check the device path (v4l2-ctl --list-devices) and that the camera is plugged in',
  SOURCE_FILE_NOT_FOUND: 'check the file path',
  RTSP_NOT_FOUND: "check the stream path in the URL (the camera's manual lists it)",
  RTSP_UNAUTHORIZED: 'put the right user:password in the URL (rtsp://user:pass@host/path)',
  RTSP_CONNECTION_REFUSED: 'check the host and port, and that the camera is on and serves RTSP',
  RTSP_UNREACHABLE: 'check the network path to the camera',
  CAMERA_BUSY: 'stop the other process using the camera',
  CAMERA_PERMISSION_DENIED: 'add the user to the "video" group',
  CAMERA_INPUT_INVALID: 'pass an H.264 (or MJPEG/raw camera) input',
  CAMERA_COMMAND_INVALID: 'use an ffmpeg build with libx264 and the filters kedge needs (apt install ffmpeg)',
  CAMERA_TOOL_NOT_FOUND: 'install the capture tool',
  CAMERA_SOURCE_INVALID: 'fix --source',
  CAMERA_EXITED: 'see the capture log lines above',
};

export function cameraFailure(error: CameraError): ProcessFailure {
  return { code: error.code, message: error.message, permanent: error.permanent };
}

/** The stderr classifier the supervisor gets for `source`. */
export function stderrClassifier(source: CameraSource): (line: string) => ProcessFailure | undefined {
  const what = describeSource(source);
  return (line) => {
    const cause = classifyToolStderr(line);
    if (cause === undefined) return undefined;
    const code = codeFor(cause.kind, source);
    return cameraFailure(new CameraError(code, `${what}: ${cause.line.replace(/^\[[^\]]*\]\s*/, '')}; ${ADVICE[code]}.`));
  };
}

export function describeExitFor(source: CameraSource): (exitCode: number | null, signal: NodeJS.Signals | null, recent: readonly string[]) => ProcessFailure {
  const what = describeSource(source);
  return (exitCode, signal, recent) => {
    const how = signal !== null ? `was killed by ${signal}` : exitCode === 0 ? 'stopped sending video' : `exited with code ${exitCode}`;
    const last = recent.at(-1);
    return cameraFailure(new CameraError('CAMERA_EXITED', `The capture process for ${what} ${how}${last === undefined ? '' : ` (last message: ${last})`}.`));
  };
}

export function describeSpawnErrorFor(program: string): (errno: string) => ProcessFailure {
  return (errno) =>
    cameraFailure(
      errno === 'ENOENT'
        ? new CameraError('CAMERA_TOOL_NOT_FOUND', `${program} is not installed or not on PATH; install it or configure its path.`)
        : new CameraError('CAMERA_PERMISSION_DENIED', `Could not start ${program} (${errno}); check that it is executable by this user.`),
    );
}

/** A failure the supervisor reported, back as a CameraError (the codes above are all camera codes). */
export function toCameraError(failure: ProcessFailure): CameraError {
  const code = (Object.keys(ADVICE) as CameraErrorCode[]).includes(failure.code as CameraErrorCode) ? (failure.code as CameraErrorCode) : 'CAMERA_EXITED';
  return new CameraError(code, failure.message);
}
