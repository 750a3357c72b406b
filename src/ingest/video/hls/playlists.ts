/**
 * HLS playlists (RFC 8216) for a session: the multivariant ("master") playlist naming the one video
 * rendition, and the media playlist of fragments. ON_DEMAND is a VOD playlist with EXT-X-ENDLIST;
 * LIVE_REPLAY an EVENT playlist; LIVE a sliding window of the newest fragments (no playlist type). Media
 * sequence numbers are the fragments' per-stream ordinals, so they grow by one per fragment.
 */
import { timestampOf } from '../archived-media.js';
import type { FragmentRecord } from '../fragment-store.js';
import type { HlsSession } from './hls-sessions.js';

export interface PlaylistSegment {
  readonly record: FragmentRecord;
  readonly headerId: number;
}

export interface RenditionInfo {
  readonly codecs: string;
  readonly width: number;
  readonly height: number;
  readonly bandwidth: number;
}

/** An ON_DISCONTINUITY boundary: a gap or overlap of more than this between fragments. */
const GAP_TOLERANCE_MS = 1000;

export function masterPlaylist(session: HlsSession, rendition: RenditionInfo): string {
  const token = encodeURIComponent(session.token);
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(rendition.bandwidth)},CODECS="${rendition.codecs}",RESOLUTION=${rendition.width}x${rendition.height}`,
    `getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`,
    '',
  ].join('\n');
}

/** Which of the stream's fragments the session's media playlist lists now (oldest first). */
export function playlistFragments(session: HlsSession, records: readonly FragmentRecord[]): FragmentRecord[] {
  if (session.mode === 'LIVE') return records.slice(Math.max(0, records.length - session.maxResults));
  const out: FragmentRecord[] = [];
  for (const r of records) {
    const t = timestampOf(session.selector, r);
    if (session.startMs !== undefined && t < session.startMs) continue;
    if (session.endMs !== undefined && t > session.endMs) continue;
    out.push(r);
    if (out.length === session.maxResults) break;
  }
  return out;
}

export function mediaPlaylist(
  session: HlsSession,
  segments: readonly PlaylistSegment[],
  options: { readonly ended: boolean; readonly discontinuitySequence: number },
): string {
  const token = encodeURIComponent(session.token);
  const ts = session.container === 'MPEG_TS';
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${ts ? 3 : 7}`];
  let target = 1;
  for (const s of segments) target = Math.max(target, Math.ceil(s.record.durationMs / 1000));
  lines.push(`#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.record.ordinal ?? 0}`);
  if (session.mode === 'LIVE' && options.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${options.discontinuitySequence}`);
  if (session.mode === 'ON_DEMAND') lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  else if (session.mode === 'LIVE_REPLAY') lines.push('#EXT-X-PLAYLIST-TYPE:EVENT');
  let previous: PlaylistSegment | undefined;
  for (const s of segments) {
    if (previous !== undefined && isDiscontinuity(session, previous, s)) lines.push('#EXT-X-DISCONTINUITY');
    if (!ts && (previous === undefined || previous.headerId !== s.headerId)) {
      lines.push(`#EXT-X-MAP:URI="getMP4InitFragment.mp4?SessionToken=${token}&TrackNumber=1&HeaderId=${s.headerId}"`);
    }
    if (session.displayTimestamps) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(timestampOf(session.selector, s.record)).toISOString()}`);
    lines.push(`#EXTINF:${(s.record.durationMs / 1000).toFixed(3)},`);
    const file = ts ? 'getTSFragment.ts' : 'getMP4MediaFragment.mp4';
    lines.push(`${file}?SessionToken=${token}&TrackNumber=1&FragmentNumber=${s.record.number}`);
    previous = s;
  }
  if (options.ended) lines.push('#EXT-X-ENDLIST');
  lines.push('');
  return lines.join('\n');
}

/** Whether a discontinuity tag goes between two listed fragments. A new header always needs one. */
export function isDiscontinuity(session: HlsSession, a: PlaylistSegment, b: PlaylistSegment): boolean {
  if (a.headerId !== b.headerId || session.discontinuity === 'ALWAYS') return true;
  if (session.discontinuity === 'NEVER') return false;
  const gap = b.record.producerTimestampMs - (a.record.producerTimestampMs + a.record.durationMs);
  return Math.abs(gap) > GAP_TOLERANCE_MS;
}
