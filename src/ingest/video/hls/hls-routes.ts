/**
 * GetHLSStreamingSessionURL and the HLS endpoints its URL leads to (the paths AWS uses under /hls/v1/):
 * the multivariant playlist, the media playlist, the fMP4 init segment per session header, and one media
 * segment per fragment (fMP4, or MPEG-TS remuxed by ffmpeg). Segment and playlist requests carry the
 * session token instead of a signature, as players cannot sign.
 */
import type { PathRoute, RequestHead } from '../../server/types.js';
import type { TimestampKind } from '../archived-media.js';
import { invalidArgument, noDataRetention, resourceNotFound } from '../errors.js';
import type { FragmentRecord, FragmentStore } from '../fragment-store.js';
import { optionalEnum, optionalInteger, optionalObject, optionalTimestampMs, streamRef } from '../input.js';
import {
  HLS_EXPIRES_DEFAULT_S,
  HLS_EXPIRES_MAX_S,
  HLS_EXPIRES_MIN_S,
  HLS_LIVE_DEFAULT_RESULTS,
  HLS_LIVE_WINDOW_MS,
  HLS_MAX_RESULTS,
  HLS_ON_DEMAND_DEFAULT_RESULTS,
} from '../limits.js';
import type { VideoStreamInfo } from '../model.js';
import { ownEndpoint, restJsonRoute } from '../rest-json.js';
import type { VideoCatalog } from '../video-catalog.js';
import { initSegment, mediaSegment } from './fmp4.js';
import { fragmentSamples, HLS_TIMESCALE } from './fragment-samples.js';
import { HlsSessions, type ContainerFormat, type DiscontinuityMode, type HlsSession, type PlaybackMode } from './hls-sessions.js';
import { playableTrack } from './playable-track.js';
import { isDiscontinuity, masterPlaylist, mediaPlaylist, playlistFragments, type PlaylistSegment } from './playlists.js';
import { remuxToMpegTs } from './ts-remux.js';

export interface HlsOptions {
  readonly catalog: VideoCatalog;
  /** For MPEG_TS segments. */
  readonly ffmpegPath: string;
}

const HLS_PATH = '/hls/v1';
/** Remuxed MPEG-TS segments kept, newest last: live players ask for the same few segments again. */
const TS_CACHE_ENTRIES = 32;

export function hlsRoutes(o: HlsOptions): PathRoute[] {
  const { catalog } = o;
  const sessions = new HlsSessions();
  const tsCache = new Map<string, Promise<Buffer>>();

  /** The session's stream and store, if the stream still exists. */
  const open = (session: HlsSession): { info: VideoStreamInfo; store: FragmentStore } => {
    const info = catalog.find({ name: session.streamName, arn: session.streamArn });
    return { info, store: catalog.store(info) };
  };
  const fragmentOf = (store: FragmentStore, head: RequestHead): FragmentRecord => {
    const number = head.query.get('FragmentNumber');
    const record = number === null ? undefined : store.get(number);
    if (record === undefined) throw resourceNotFound(`Fragment ${number ?? '(none)'} is not in the stream (past its retention?).`);
    return record;
  };
  const fmp4Segment = async (store: FragmentStore, record: FragmentRecord): Promise<{ init: Buffer; segment: Buffer }> => {
    const header = store.header(record.headerId)!;
    const track = playableTrack(header);
    const { baseDecodeTimeTicks, samples } = fragmentSamples(header, record, await store.read(record), track.trackNumber);
    return {
      init: initSegment({ ...track, timescale: HLS_TIMESCALE }),
      segment: mediaSegment(record.ordinal, baseDecodeTimeTicks, samples),
    };
  };

  const get = (name: string, serve: (session: HlsSession, head: RequestHead) => Promise<{ type: string; body: Buffer | string }> | { type: string; body: Buffer | string }): PathRoute => ({
    method: 'GET',
    path: `${HLS_PATH}/${name}`,
    signingName: null,
    handle: async (request, ctx) => {
      const { type, body } = await serve(sessions.get(request.query.get('SessionToken'), ctx.now), request);
      // Any origin may play it (hls.js in a browser page served from elsewhere).
      return { status: 200, headers: { 'Content-Type': type, 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' }, body };
    },
  });

  return [
    restJsonRoute('/getHLSStreamingSessionURL', (input, ctx, head) => {
      const info = catalog.find(streamRef(input));
      const mode = optionalEnum(input, 'PlaybackMode', ['LIVE', 'LIVE_REPLAY', 'ON_DEMAND'] as const) ?? 'LIVE';
      const selectorInput = optionalObject(input, 'HLSFragmentSelector');
      const selector: TimestampKind =
        (selectorInput && optionalEnum(selectorInput, 'FragmentSelectorType', ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'] as const)) ?? 'SERVER_TIMESTAMP';
      const range = selectorInput && optionalObject(selectorInput, 'TimestampRange');
      const startMs = range && optionalTimestampMs(range, 'StartTimestamp');
      const endMs = range && optionalTimestampMs(range, 'EndTimestamp');
      checkRange(mode, startMs, endMs);
      const container: ContainerFormat = optionalEnum(input, 'ContainerFormat', ['FRAGMENTED_MP4', 'MPEG_TS'] as const) ?? 'FRAGMENTED_MP4';
      const discontinuity: DiscontinuityMode =
        optionalEnum(input, 'DiscontinuityMode', ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'] as const) ?? (selector === 'SERVER_TIMESTAMP' ? 'ALWAYS' : 'NEVER');
      const display = optionalEnum(input, 'DisplayFragmentTimestamp', ['ALWAYS', 'NEVER'] as const) ?? 'NEVER';
      const expires = optionalInteger(input, 'Expires', HLS_EXPIRES_MIN_S, HLS_EXPIRES_MAX_S) ?? HLS_EXPIRES_DEFAULT_S;
      const maxResults =
        optionalInteger(input, 'MaxMediaPlaylistFragmentResults', 1, HLS_MAX_RESULTS) ?? (mode === 'LIVE' ? HLS_LIVE_DEFAULT_RESULTS : HLS_ON_DEMAND_DEFAULT_RESULTS);
      if (info.dataRetentionInHours === 0) throw noDataRetention(`Stream ${info.name} keeps no data (DataRetentionInHours 0); HLS needs retention.`);
      const store = catalog.store(info);
      const session = {
        streamName: info.name,
        streamArn: info.arn,
        mode,
        selector,
        startMs,
        endMs,
        container,
        discontinuity,
        displayTimestamps: display === 'ALWAYS',
        maxResults,
        expiresAtMs: ctx.now + expires * 1000,
      };
      const listed = playlistFragments({ ...session, token: '' }, store.fragments());
      const newest = store.newest;
      if (mode === 'LIVE' ? newest === undefined || ctx.now - newest.serverTimestampMs > HLS_LIVE_WINDOW_MS : listed.length === 0) {
        throw resourceNotFound(
          mode === 'LIVE'
            ? `No fragment of stream ${info.name} arrived in the last ${HLS_LIVE_WINDOW_MS / 1000} s; LIVE needs a live stream.`
            : `Stream ${info.name} has no fragment in the requested time range.`,
        );
      }
      playableTrack(store.header((listed[listed.length - 1] ?? newest)!.headerId)!);
      const created = sessions.create(session, ctx.now);
      return { HLSStreamingSessionURL: `${ownEndpoint(catalog.endpoint, head)}${HLS_PATH}/getHLSMasterPlaylist.m3u8?SessionToken=${encodeURIComponent(created.token)}` };
    }),

    get('getHLSMasterPlaylist.m3u8', (session) => {
      const { store } = open(session);
      const listed = playlistFragments(session, store.fragments());
      const last = listed[listed.length - 1] ?? store.newest;
      if (last === undefined) throw resourceNotFound('The stream has no fragments any more.');
      const track = playableTrack(store.header(last.headerId)!);
      let bandwidth = 0;
      for (const r of listed) if (r.durationMs > 0) bandwidth = Math.max(bandwidth, (r.sizeBytes * 8000) / r.durationMs);
      return { type: 'application/vnd.apple.mpegurl', body: masterPlaylist(session, { ...track, bandwidth: bandwidth || 1_000_000 }) };
    }),

    get('getHLSMediaPlaylist.m3u8', (session) => {
      const { store } = open(session);
      const all = store.fragments();
      const listed = playlistFragments(session, all);
      const segments: PlaylistSegment[] = listed.map((record) => ({ record, headerId: record.headerId }));
      const newest = all[all.length - 1];
      const ended =
        session.mode === 'ON_DEMAND' ||
        (session.mode === 'LIVE_REPLAY' &&
          (listed.length === session.maxResults || (session.endMs !== undefined && newest !== undefined && timestampOfSelector(session, newest) >= session.endMs)));
      return { type: 'application/vnd.apple.mpegurl', body: mediaPlaylist(session, segments, { ended, discontinuitySequence: discontinuitiesBefore(session, all, listed[0]) }) };
    }),

    get('getMP4InitFragment.mp4', (session, head) => {
      const { store } = open(session);
      const header = store.header(Number(head.query.get('HeaderId') ?? store.newest?.headerId));
      if (header === undefined) throw resourceNotFound('No such stream header in this stream.');
      return { type: 'video/mp4', body: initSegment({ ...playableTrack(header), timescale: HLS_TIMESCALE }) };
    }),

    get('getMP4MediaFragment.mp4', async (session, head) => {
      const { store } = open(session);
      const { segment } = await fmp4Segment(store, fragmentOf(store, head));
      return { type: 'video/mp4', body: segment };
    }),

    get('getTSFragment.ts', async (session, head) => {
      const { store } = open(session);
      const record = fragmentOf(store, head);
      const key = `${session.streamArn}/${record.number}`;
      let ts = tsCache.get(key);
      if (ts === undefined) {
        ts = fmp4Segment(store, record).then(({ init, segment }) => remuxToMpegTs(o.ffmpegPath, Buffer.concat([init, segment])));
        tsCache.set(key, ts);
        ts.catch(() => tsCache.delete(key));
        if (tsCache.size > TS_CACHE_ENTRIES) tsCache.delete(tsCache.keys().next().value!);
      }
      return { type: 'video/mp2t', body: await ts };
    }),
  ];
}

function timestampOfSelector(session: HlsSession, r: FragmentRecord): number {
  return session.selector === 'PRODUCER_TIMESTAMP' ? r.producerTimestampMs : r.serverTimestampMs;
}

/** LIVE takes no range; LIVE_REPLAY needs a start; ON_DEMAND needs both ends (as AWS requires). */
function checkRange(mode: PlaybackMode, startMs: number | undefined, endMs: number | undefined): void {
  if (mode === 'LIVE' && (startMs !== undefined || endMs !== undefined)) throw invalidArgument('A LIVE session takes no TimestampRange; use LIVE_REPLAY or ON_DEMAND.');
  if (mode === 'LIVE_REPLAY' && startMs === undefined) throw invalidArgument('LIVE_REPLAY needs HLSFragmentSelector.TimestampRange.StartTimestamp.');
  if (mode === 'ON_DEMAND' && (startMs === undefined || endMs === undefined)) throw invalidArgument('ON_DEMAND needs HLSFragmentSelector.TimestampRange with StartTimestamp and EndTimestamp.');
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) throw invalidArgument('TimestampRange.StartTimestamp must not be after EndTimestamp.');
}

/** EXT-X-DISCONTINUITY-SEQUENCE of a sliding LIVE playlist: discontinuities among the fragments before its first. */
function discontinuitiesBefore(session: HlsSession, all: readonly FragmentRecord[], first: FragmentRecord | undefined): number {
  if (session.mode !== 'LIVE' || first === undefined) return 0;
  // ALWAYS: one per boundary since the stream's first fragment; the ordinal counts them, trimmed or not.
  if (session.discontinuity === 'ALWAYS') return first.ordinal - 1;
  let count = 0;
  for (let i = 1; i < all.length && all[i]!.ordinal <= first.ordinal; i++) {
    if (isDiscontinuity(session, { record: all[i - 1]!, headerId: all[i - 1]!.headerId }, { record: all[i]!, headerId: all[i]!.headerId })) count++;
  }
  return count;
}
