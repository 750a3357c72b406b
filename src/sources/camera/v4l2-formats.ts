/**
 * Which pixel formats a V4L2 camera offers, from `ffmpeg -f v4l2 -list_formats all -i DEVICE`, whose
 * stderr has one line per format (libavdevice/v4l2.c list_formats):
 *   [video4linux2,v4l2 @ 0x55d0] Compressed:       mjpeg :          Motion-JPEG : 640x480 1280x720
 *   [video4linux2,v4l2 @ 0x55d0] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 1280x720
 * An H.264 camera is used as it is (copy); MJPEG or raw ones are encoded.
 */
import { runTool } from '../../media/ffmpeg/index.js';

export interface V4l2Format {
  readonly compressed: boolean;
  /** ffmpeg's name: `mjpeg`, `h264`, `yuyv422`, `gray16le`... */
  readonly name: string;
  readonly description: string;
  /** `WxH` entries, or ranges as ffmpeg prints them for stepwise sizes. */
  readonly sizes: readonly string[];
}

export function parseV4l2Formats(stderr: string): V4l2Format[] {
  const formats: V4l2Format[] = [];
  for (const line of stderr.split('\n')) {
    const m = /(Compressed|Raw)\s*:\s*(\S+)\s+:\s*(.*)$/.exec(line);
    if (!m) continue;
    // The description may hold colons ("YUYV 4:2:2"); the sizes follow the last " :".
    const rest = m[3]!;
    const cut = rest.lastIndexOf(' :');
    const description = (cut < 0 ? rest : rest.slice(0, cut)).trim();
    const sizes = cut < 0 ? [] : rest.slice(cut + 2).trim().split(/\s+/).filter((s) => s !== '');
    formats.push({ compressed: m[1] === 'Compressed', name: m[2]!, description, sizes });
  }
  return formats;
}

export async function listV4l2Formats(ffmpegPath: string, device: string): Promise<{ formats: V4l2Format[]; stderr: string }> {
  // ffmpeg exits 1 after listing ("Immediate exit requested"); the list is on stderr either way.
  const result = await runTool(ffmpegPath, ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', device], 10_000);
  return { formats: parseV4l2Formats(result.stderr), stderr: result.stderr };
}

/** The input format 'auto' picks: H.264 (no encoding at all), else MJPEG, else raw YUYV. */
export function pickV4l2InputFormat(formats: readonly V4l2Format[]): 'h264' | 'mjpeg' | 'yuyv422' | undefined {
  const names = new Set(formats.map((f) => f.name));
  if (names.has('h264')) return 'h264';
  if (names.has('mjpeg')) return 'mjpeg';
  if (names.has('yuyv422')) return 'yuyv422';
  return undefined;
}
