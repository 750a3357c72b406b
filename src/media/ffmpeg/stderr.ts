/**
 * Reads the reason out of a capture tool's stderr. ffmpeg (and rpicam-vid) report a missing device, a
 * refused connection or a 404 as one line of text and exit 1; the supervisor turns the line into a stable
 * error code instead of restarting the tool in silence for ever.
 *
 * Only lines that name a cause are classified; ordinary warnings return undefined. The texts are ffmpeg's
 * own (libavformat/libavdevice messages, strerror() texts) and rpicam-apps' camera-manager errors.
 */
export type ToolFailureKind =
  /** A local device or file does not exist. */
  | 'not-found'
  /** The remote side answered 404 (RTSP DESCRIBE or HTTP). */
  | 'remote-not-found'
  | 'unauthorized'
  | 'connection-refused'
  /** No route, name not resolved, timed out: the network, not the camera's configuration. */
  | 'unreachable'
  | 'busy'
  | 'permission-denied'
  /** The input is not what the command expects (not H.264, a broken file). */
  | 'invalid-input'
  /** ffmpeg refused the command line itself: unknown option, encoder or filter. */
  | 'bad-command';

export interface ToolFailure {
  readonly kind: ToolFailureKind;
  /** The stderr line that said so. */
  readonly line: string;
}

/** First match wins, so the specific patterns come before the general ones. */
const PATTERNS: ReadonlyArray<readonly [ToolFailureKind, RegExp]> = [
  ['remote-not-found', /\b404 Not Found\b|Server returned 404/i],
  ['unauthorized', /\b401 Unauthorized\b|Server returned 401|\b403 Forbidden\b|Server returned 403/i],
  ['connection-refused', /Connection refused/i],
  ['unreachable', /No route to host|Network is unreachable|Name or service not known|Temporary failure in name resolution|Connection timed out|Operation timed out|Failed to resolve hostname/i],
  ['busy', /Device or resource busy/i],
  ['permission-denied', /Permission denied|Could not open any dmaHeap device/i],
  ['not-found', /No such file or directory|No such device|no cameras available|Cannot open video device/i],
  ['bad-command', /Unrecognized option|Unknown encoder|Encoder not found|Unknown decoder|No such filter|Error initializing filter|Option not found|Invalid argument.*Error|Error splitting the argument list|Error opening output files?/i],
  ['invalid-input', /Invalid data found when processing input|could not find codec parameters|moov atom not found|Input\/output error/i],
];

export function classifyToolStderr(line: string): ToolFailure | undefined {
  for (const [kind, pattern] of PATTERNS) if (pattern.test(line)) return { kind, line };
  return undefined;
}

/**
 * Splits stderr chunks into lines (ffmpeg ends progress lines with '\r'); keeps the unfinished tail.
 * One instance per process run.
 */
export class LineSplitter {
  private tail = '';

  push(chunk: string, out: string[] = []): string[] {
    const text = this.tail + chunk;
    let start = 0;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        if (i > start) out.push(text.slice(start, i));
        start = i + 1;
      }
    }
    // A tool that prints no newline for ages must not grow this without bound.
    this.tail = text.slice(start).slice(-4096);
    return out;
  }

  end(out: string[] = []): string[] {
    if (this.tail !== '') out.push(this.tail);
    this.tail = '';
    return out;
  }
}
