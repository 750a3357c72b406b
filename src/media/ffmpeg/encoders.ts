/** Which encoders an ffmpeg build has, from `ffmpeg -hide_banner -encoders`. */
import { runTool } from './run-tool.js';

/**
 * Parses the encoder table: lines like ` V....D libx264   libx264 H.264 / AVC ...`, a six-letter flag
 * field (first letter V/A/S for the media type) and the encoder's name; the legend above the `------`
 * line is skipped.
 */
export function parseEncoderList(text: string): Set<string> {
  const names = new Set<string>();
  let inTable = false;
  for (const line of text.split('\n')) {
    if (!inTable) {
      inTable = line.trim().startsWith('---');
      continue;
    }
    const match = /^\s*([VAS][.A-Z]{5})\s+(\S+)/.exec(line);
    if (match) names.add(match[2]!);
  }
  return names;
}

export async function listEncoders(ffmpegPath: string): Promise<Set<string>> {
  const result = await runTool(ffmpegPath, ['-hide_banner', '-encoders']);
  return result.code === 0 ? parseEncoderList(result.stdout) : new Set();
}
