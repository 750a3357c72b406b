/**
 * Checks made before a capture process is started, so a wrong path fails at once with a clear code
 * instead of as an ffmpeg that exits 1 over and over.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CameraError } from './errors.js';

export type DeviceKind = 'device' | 'file';

/**
 * `path` must be a character device (a camera) or, with `allowFile`, a regular file (a recording).
 * CAMERA_NOT_FOUND / SOURCE_FILE_NOT_FOUND when it does not exist, CAMERA_PERMISSION_DENIED when the
 * directory cannot be read, CAMERA_NOT_FOUND when it exists but is no device.
 */
export async function probeDevicePath(path: string, options: { readonly allowFile?: boolean; readonly what?: string } = {}): Promise<DeviceKind> {
  const what = options.what ?? 'camera';
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new CameraError('CAMERA_PERMISSION_DENIED', `Not allowed to look at ${path}; add the user to the "video" group or run as a user who may.`, { cause: error });
    }
    throw new CameraError(
      'CAMERA_NOT_FOUND',
      `No ${what} at ${path}: the device does not exist. List cameras with "v4l2-ctl --list-devices" or "ls /dev/v4l/by-id/", and pass that path.`,
      { cause: error },
    );
  }
  if (info.isCharacterDevice()) return 'device';
  if (options.allowFile && info.isFile()) return 'file';
  throw new CameraError('CAMERA_NOT_FOUND', `${path} exists but is not a video device; pass a /dev/videoN (or /dev/v4l/by-id/...) path.`);
}

/** A `file:` input must exist and be a regular file. */
export async function probeInputFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new CameraError('CAMERA_PERMISSION_DENIED', `Not allowed to read ${path}; check its permissions.`, { cause: error });
    throw new CameraError('SOURCE_FILE_NOT_FOUND', `No file at ${path}; pass the path of an H.264 or MP4 recording.`, { cause: error });
  }
  if (!info.isFile()) throw new CameraError('SOURCE_FILE_NOT_FOUND', `${path} is not a regular file; pass the path of an H.264 or MP4 recording.`);
}

/**
 * Whether a V4L2 memory-to-memory H.264 encoder is present (Raspberry Pi 4 and earlier: "bcm2835-codec-encode").
 * ffmpeg builds such as Debian's list h264_v4l2m2m even on machines without the hardware, so the encoder
 * list alone cannot decide.
 */
export async function hasV4l2HardwareEncoder(sysfsDir = '/sys/class/video4linux'): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(sysfsDir);
  } catch {
    return false;
  }
  for (const entry of entries) {
    const name = await readFile(join(sysfsDir, entry, 'name'), 'utf8').catch(() => '');
    if (/enc/i.test(name) && /codec|m2m|h264|venus|hantro|encode/i.test(name)) return true;
  }
  return false;
}
