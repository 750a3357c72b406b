/**
 * What `--source` (and the config's camera source) can say, parsed into a tagged union:
 *   test             ffmpeg's test pattern (lavfi testsrc), encoded with libx264: a camera without hardware
 *   v4l2:DEVICE      a UVC/V4L2 camera (MJPEG or H.264), e.g. v4l2:/dev/video0 or v4l2:/dev/v4l/by-id/...
 *   thermal:DEVICE   a Y16 thermal camera (FLIR Lepton on PureThermal); a regular file replays raw Y16 frames
 *   libcamera        the Raspberry Pi camera through rpicam-vid (libcamera-vid on older systems)
 *   rtsp://URL       an IP camera (also rtsps://), copied without re-encoding
 *   file:PATH        an H.264 or MP4 file replayed at its native rate
 */
import { CameraError } from './errors.js';

export type CameraSource =
  | { readonly kind: 'test' }
  | { readonly kind: 'v4l2'; readonly device: string }
  | { readonly kind: 'thermal'; readonly device: string }
  | { readonly kind: 'libcamera' }
  | { readonly kind: 'rtsp'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string };

export const SOURCE_SYNTAX = 'test, v4l2:DEVICE, thermal:DEVICE, libcamera, rtsp://URL or file:PATH';

export function parseCameraSource(text: string): CameraSource {
  const bad = (why: string): never => {
    throw new CameraError('CAMERA_SOURCE_INVALID', `--source "${text}" ${why}; use ${SOURCE_SYNTAX}`);
  };
  const value = text.trim();
  if (value === 'test') return { kind: 'test' };
  if (value === 'libcamera' || value === 'rpicam') return { kind: 'libcamera' };
  if (/^rtsps?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return bad('is not a valid URL');
    }
    if (url.hostname === '') bad('has no host');
    return { kind: 'rtsp', url: value };
  }
  const colon = value.indexOf(':');
  if (colon > 0) {
    const scheme = value.slice(0, colon);
    const rest = value.slice(colon + 1);
    if (rest === '') bad(`names no ${scheme === 'file' ? 'path' : 'device'} after "${scheme}:"`);
    if (scheme === 'v4l2') return { kind: 'v4l2', device: rest };
    if (scheme === 'thermal') return { kind: 'thermal', device: rest };
    if (scheme === 'file') return { kind: 'file', path: rest };
  }
  return bad('is not a known source');
}

export function describeSource(source: CameraSource): string {
  switch (source.kind) {
    case 'test':
      return 'test pattern';
    case 'libcamera':
      return 'Raspberry Pi camera (libcamera)';
    case 'v4l2':
      return `V4L2 camera ${source.device}`;
    case 'thermal':
      return `thermal camera ${source.device}`;
    case 'rtsp':
      return `RTSP camera ${redactUrl(source.url)}`;
    case 'file':
      return `file ${source.path}`;
  }
}

/** An RTSP URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** How to capture: picture size and rate, keyframe interval, and choices for each source kind. */
export interface CaptureSettings {
  /** Encoded size; default 640x480 (test), the camera's choice (v4l2, libcamera 1280x720), 4x the sensor (thermal). */
  readonly width?: number;
  readonly height?: number;
  /** Frames per second; default 30 (thermal: 9, the Lepton's export-limited rate). */
  readonly fps?: number;
  /** Keyframe interval in seconds when kedge encodes (default 2, the KVS producer's fragment duration). */
  readonly gopSeconds?: number;
  /** Target bitrate when kedge encodes, kbit/s (default: the encoder's own rate control). */
  readonly bitrateKbps?: number;
  /** Replay `file:` (and recorded thermal) inputs for ever. Default false: capture ends at the file's end. */
  readonly loop?: boolean;
  /** V4L2 input format; default 'auto' (H.264 if the camera offers it, else MJPEG, else raw). */
  readonly inputFormat?: 'auto' | 'h264' | 'mjpeg' | 'yuyv422';
  /** H.264 encoder when kedge encodes; default 'auto' (the V4L2 hardware encoder when present, else libx264). */
  readonly encoder?: 'auto' | 'libx264' | 'h264_v4l2m2m';
  /** Thermal sensor size in pixels (default 160x120, Lepton 3.x). */
  readonly sensorWidth?: number;
  readonly sensorHeight?: number;
}

export const DEFAULT_GOP_SECONDS = 2;

export function checkCaptureSettings(settings: CaptureSettings): void {
  const bad = (why: string): never => {
    throw new CameraError('CAMERA_SOURCE_INVALID', why);
  };
  const positiveInt = (name: string, v: number | undefined, max: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0 || v > max)) bad(`${name} ${v} must be a whole number from 1 to ${max}`);
  };
  positiveInt('width', settings.width, 8192);
  positiveInt('height', settings.height, 8192);
  positiveInt('sensor width', settings.sensorWidth, 8192);
  positiveInt('sensor height', settings.sensorHeight, 8192);
  positiveInt('bitrate (kbit/s)', settings.bitrateKbps, 1_000_000);
  if ((settings.width === undefined) !== (settings.height === undefined)) bad('give both width and height, or neither');
  if (settings.fps !== undefined && !(settings.fps > 0 && settings.fps <= 240)) bad(`fps ${settings.fps} must be in (0, 240]`);
  // KVS fragments last 1 to 20 s (kvs.md §2.1); one GOP is one fragment.
  if (settings.gopSeconds !== undefined && !(settings.gopSeconds >= 1 && settings.gopSeconds <= 20)) {
    bad(`keyframe interval ${settings.gopSeconds} s must be from 1 to 20 s (one keyframe group is one KVS fragment)`);
  }
}
