/**
 * Reading video back from `kedge ingest` with the unmodified SDK media clients and with ffmpeg: real H.264
 * (ffmpeg testsrc, libx264, one GOP per second) is uploaded through PutMedia as MKV written by kedge, then
 * listed, fetched (GetMediaForFragmentList, GetMedia with each start selector, live GetMedia) and played
 * over HLS (fMP4 and MPEG-TS), with frame counts checked by ffprobe/ffmpeg.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  GetMediaForFragmentListCommand,
  InvalidArgumentException,
  ListFragmentsCommand,
  NoDataRetentionException,
  ResourceNotFoundException,
  type Fragment,
  type GetHLSStreamingSessionURLCommandInput,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { GetMediaCommand, type StartSelector } from '@aws-sdk/client-kinesis-video-media';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { encodeTestH264, FPS, muxH264, type MuxedVideo } from '../unit/ingest/video/helpers/h264-media.js';
import { ffmpegFrames, ffprobeFrames, MkvDocuments, uploadVideo } from '../unit/ingest/video/helpers/read-back.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';

const T0 = Date.UTC(2026, 10, 24, 9, 30);
const SERVER_T0 = T0 + 60_000;
let h264: Buffer;
let video: MuxedVideo;
let later: MuxedVideo;
let scratch: string;
let target: VideoTarget | undefined;

beforeAll(async () => {
  h264 = await encodeTestH264(6);
  video = muxH264(h264, T0);
  later = muxH264(h264, T0 + 100_000);
  scratch = mkdtempSync(join(tmpdir(), 'kedge-video-read-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(async () => {
  await target?.close();
  target = undefined;
});

/** A target with stream `cam` holding `video`, fragment i having arrived at SERVER_T0 + i s. */
async function loaded(retention = 24): Promise<{ clock: ManualClock; numbers: string[] }> {
  const clock = new ManualClock(SERVER_T0);
  target = await startVideoTarget({ memory: true, clock });
  await target.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: retention }));
  const acks = await uploadVideo(await target.endpoint('cam', 'PUT_MEDIA'), 'cam', video, clock);
  return { clock, numbers: acks.filter((a) => a.EventType === 'RECEIVED').map((a) => a.FragmentNumber!) };
}

async function listAll(input: { FragmentSelector?: { FragmentSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP'; TimestampRange: { StartTimestamp: Date; EndTimestamp: Date } }; MaxResults?: number } = {}): Promise<Fragment[]> {
  const archived = await target!.archived('cam');
  const out: Fragment[] = [];
  let token: string | undefined;
  do {
    const page = await archived.send(new ListFragmentsCommand({ StreamName: 'cam', ...input, NextToken: token }));
    out.push(...page.Fragments!);
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}

/** Reads GetMedia until `count` complete fragments arrived, then hangs up. */
async function getMedia(selector: StartSelector, count: number, whileWaiting?: () => Promise<unknown>): Promise<{ docs: MkvDocuments; bytes: Buffer }> {
  const media = await target!.media('cam');
  const out = await media.send(new GetMediaCommand({ StreamName: 'cam', StartSelector: selector }));
  expect(out.ContentType).toBe('video/webm');
  const docs = new MkvDocuments();
  const chunks: Buffer[] = [];
  const payload = out.Payload as AsyncIterable<Uint8Array> & { destroy(): void };
  // The answer's head has arrived, so the start position is fixed: now the test may add data.
  const meanwhile = whileWaiting?.();
  for await (const chunk of payload) {
    chunks.push(Buffer.from(chunk));
    docs.push(chunk);
    if (docs.complete.length >= count) break;
  }
  payload.destroy();
  await meanwhile;
  return { docs, bytes: Buffer.concat(chunks) };
}

async function hlsUrl(input: Omit<GetHLSStreamingSessionURLCommandInput, 'StreamName'>): Promise<string> {
  const archived = await target!.archived('cam');
  return (await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', ...input }))).HLSStreamingSessionURL!;
}

const onDemand = (type: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP' = 'PRODUCER_TIMESTAMP'): Omit<GetHLSStreamingSessionURLCommandInput, 'StreamName'> => ({
  PlaybackMode: 'ON_DEMAND',
  HLSFragmentSelector: { FragmentSelectorType: type, TimestampRange: { StartTimestamp: new Date(T0 - 1000), EndTimestamp: new Date(T0 + 3_600_000) } },
});

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** The media playlist a session's multivariant playlist points to. */
async function mediaPlaylist(sessionUrl: string): Promise<string> {
  const master = await fetchText(sessionUrl);
  const line = master.split('\n').find((l) => l.startsWith('getHLSMediaPlaylist'))!;
  return fetchText(new URL(line, sessionUrl).toString());
}

describe('ListFragments and GetMediaForFragmentList', () => {
  it('lists every fragment in fragment-number order with its size, producer and server timestamps and duration', async () => {
    const { numbers } = await loaded();
    const fragments = await listAll();
    expect(fragments.map((f) => f.FragmentNumber)).toEqual(numbers);
    expect(fragments.map((f) => f.ProducerTimestamp!.getTime())).toEqual(video.timecodes);
    expect(fragments.map((f) => f.ServerTimestamp!.getTime())).toEqual(video.timecodes.map((_, i) => SERVER_T0 + i * 1000));
    expect(fragments.every((f) => f.FragmentLengthInMilliseconds === 1000 && f.FragmentSizeInBytes! > 1000)).toBe(true);
  });

  it('filters by producer- or server-timestamp range, both ends inclusive, and pages with NextToken', async () => {
    const { numbers } = await loaded();
    const byProducer = await listAll({ FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0 + 1000), EndTimestamp: new Date(T0 + 3000) } } });
    expect(byProducer.map((f) => f.FragmentNumber)).toEqual(numbers.slice(1, 4));
    const byServer = await listAll({ FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(SERVER_T0 + 4000), EndTimestamp: new Date(SERVER_T0 + 99_000) } } });
    expect(byServer.map((f) => f.FragmentNumber)).toEqual(numbers.slice(4));
    const archived = await target!.archived('cam');
    const first = await archived.send(new ListFragmentsCommand({ StreamName: 'cam', MaxResults: 4 }));
    expect(first.Fragments).toHaveLength(4);
    expect(first.NextToken).toBeDefined();
    expect((await listAll({ MaxResults: 2 })).map((f) => f.FragmentNumber)).toEqual(numbers);
  });

  it('streams the listed fragments as MKV that ffprobe decodes to every frame sent, each tagged with its number and timestamps', async () => {
    const { numbers } = await loaded();
    const archived = await target!.archived('cam');
    const out = await archived.send(new GetMediaForFragmentListCommand({ StreamName: 'cam', Fragments: numbers }));
    expect(out.ContentType).toBe('video/webm');
    const bytes = Buffer.from(await out.Payload!.transformToByteArray());
    const file = join(scratch, 'fragment-list.mkv');
    writeFileSync(file, bytes);
    expect(await ffprobeFrames(file)).toBe(video.frames);
    const docs = new MkvDocuments();
    docs.push(bytes);
    docs.end();
    expect(docs.documents.map((d) => d.tags['AWS_KINESISVIDEO_FRAGMENT_NUMBER'])).toEqual(numbers);
    expect(docs.documents.map((d) => d.frames)).toEqual(video.frameCounts);
    expect(docs.documents[2]!.tags).toMatchObject({
      AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP: ((T0 + 2000) / 1000).toFixed(3),
      AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP: ((SERVER_T0 + 2000) / 1000).toFixed(3),
    });
  });

  it('refuses a fragment number the stream does not hold with ResourceNotFoundException', async () => {
    const { numbers } = await loaded();
    const archived = await target!.archived('cam');
    const call = archived.send(new GetMediaForFragmentListCommand({ StreamName: 'cam', Fragments: [numbers[0]!, '91343852333000000000000000000000000000000000001'] }));
    await expect(call).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('GetMedia', () => {
  it("from EARLIEST returns every fragment as an MKV document with AWS_KINESISVIDEO tags, decodable to every frame", async () => {
    const { clock, numbers } = await loaded();
    clock.advance(2000);
    const { docs, bytes } = await getMedia({ StartSelectorType: 'EARLIEST' }, numbers.length);
    const got = docs.complete;
    expect(got.map((d) => d.tags['AWS_KINESISVIDEO_FRAGMENT_NUMBER'])).toEqual(numbers);
    expect(got.map((d) => d.tags['AWS_KINESISVIDEO_CONTINUATION_TOKEN'])).toEqual(numbers);
    expect(got.map((d) => d.clusterTimecode)).toEqual(video.timecodes);
    expect(got[0]!.tags).toMatchObject({
      AWS_KINESISVIDEO_SERVER_TIMESTAMP: (SERVER_T0 / 1000).toFixed(3),
      AWS_KINESISVIDEO_PRODUCER_TIMESTAMP: (T0 / 1000).toFixed(3),
      AWS_KINESISVIDEO_MILLIS_BEHIND_NOW: String(clock.now() - SERVER_T0),
    });
    const file = join(scratch, 'get-media.mkv');
    writeFileSync(file, bytes);
    expect(await ffprobeFrames(file)).toBe(video.frames);
  });

  it('starts where each selector says: FRAGMENT_NUMBER at that fragment, CONTINUATION_TOKEN after it, PRODUCER_ and SERVER_TIMESTAMP at the fragment holding that time', async () => {
    const { numbers } = await loaded();
    const firstOf = async (selector: StartSelector): Promise<string | undefined> => (await getMedia(selector, 1)).docs.complete[0]!.tags['AWS_KINESISVIDEO_FRAGMENT_NUMBER'];
    expect(await firstOf({ StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: numbers[2] })).toBe(numbers[2]);
    expect(await firstOf({ StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: numbers[2] })).toBe(numbers[3]);
    expect(await firstOf({ StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(T0 + 3500) })).toBe(numbers[3]);
    expect(await firstOf({ StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(SERVER_T0 + 1000) })).toBe(numbers[1]);
    const media = await target!.media('cam');
    await expect(media.send(new GetMediaCommand({ StreamName: 'cam', StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER' } }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    await expect(media.send(new GetMediaCommand({ StreamName: 'nope', StartSelector: { StartSelectorType: 'NOW' } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('from NOW stays open and delivers the fragments uploaded after it started', async () => {
    const { numbers } = await loaded();
    const endpoint = await target!.endpoint('cam', 'PUT_MEDIA');
    let laterAcks: { FragmentNumber?: string; EventType: string }[] = [];
    const { docs } = await getMedia({ StartSelectorType: 'NOW' }, 2, async () => {
      laterAcks = await uploadVideo(endpoint, 'cam', later);
    });
    const live = docs.complete.map((d) => d.tags['AWS_KINESISVIDEO_FRAGMENT_NUMBER']);
    expect(live.some((n) => numbers.includes(n!))).toBe(false);
    expect(live).toEqual(laterAcks.filter((a) => a.EventType === 'RECEIVED').slice(0, 2).map((a) => a.FragmentNumber));
  });
});

describe('HLS', () => {
  it('an ON_DEMAND fMP4 session plays in ffmpeg, every frame sent decoded', async () => {
    await loaded();
    const url = await hlsUrl(onDemand());
    expect(url.startsWith(`${target!.url}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=`)).toBe(true);
    expect((await ffmpegFrames(url)).frames).toBe(video.frames);
  });

  it('an ON_DEMAND MPEG-TS session plays in ffmpeg, every frame sent decoded', async () => {
    await loaded();
    const url = await hlsUrl({ ...onDemand(), ContainerFormat: 'MPEG_TS' });
    expect((await mediaPlaylist(url)).includes('getTSFragment.ts?')).toBe(true);
    expect((await ffmpegFrames(url)).frames).toBe(video.frames);
  });

  it('a LIVE session plays in ffmpeg from the start of its window', async () => {
    await loaded();
    const url = await hlsUrl({ PlaybackMode: 'LIVE', MaxMediaPlaylistFragmentResults: 3 });
    // Three one-second fragments; ffmpeg stops once a reload brings nothing new.
    const { frames } = await ffmpegFrames(url, ['-live_start_index', '0', '-m3u8_hold_counters', '1']);
    expect(frames).toBe(video.frameCounts.slice(-3).reduce((a, b) => a + b, 0));
  });

  it('writes VOD playlists with EXT-X-ENDLIST for ON_DEMAND, EVENT for LIVE_REPLAY, and a LIVE window whose media sequence grows by one per fragment', async () => {
    const { numbers } = await loaded();
    const vod = await mediaPlaylist(await hlsUrl(onDemand()));
    expect(vod).toMatch(/^#EXTM3U\n/);
    expect(vod).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod).toContain('#EXT-X-TARGETDURATION:1\n');
    expect(vod).toContain('#EXT-X-MEDIA-SEQUENCE:1\n');
    expect(vod).toContain('#EXT-X-MAP:URI="getMP4InitFragment.mp4?');
    expect(vod.match(/#EXTINF:1\.000,/g)).toHaveLength(numbers.length);
    expect(vod.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);

    const replay = await mediaPlaylist(await hlsUrl({ PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0 + 2000) } } }));
    expect(replay).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(replay).toContain('#EXT-X-MEDIA-SEQUENCE:3\n');
    expect(replay).not.toContain('#EXT-X-ENDLIST');

    const liveUrl = await hlsUrl({ PlaybackMode: 'LIVE', MaxMediaPlaylistFragmentResults: 3 });
    const live = await mediaPlaylist(liveUrl);
    expect(live).not.toContain('#EXT-X-PLAYLIST-TYPE');
    expect(live).not.toContain('#EXT-X-ENDLIST');
    expect(live).toContain('#EXT-X-MEDIA-SEQUENCE:4\n');
    expect(numbers.slice(3).every((n) => live.includes(`FragmentNumber=${n}`))).toBe(true);
    await uploadVideo(await target!.endpoint('cam', 'PUT_MEDIA'), 'cam', { ...later, fragments: later.fragments.slice(0, 2) });
    // The first new fragment is complete (the second ended the upload too): the window slides by two.
    expect(await mediaPlaylist(liveUrl)).toContain('#EXT-X-MEDIA-SEQUENCE:6\n');
    const master = await fetchText(liveUrl);
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.64[0-9a-f]{4}",RESOLUTION=320x240/);
  });

  it('refuses sessions as AWS does: no retention, nothing live in the last 30 s, ranges that do not fit the mode, and expired session tokens', async () => {
    const { clock } = await loaded();
    const archived = await target!.archived('cam');
    await target!.kvs.send(new CreateStreamCommand({ StreamName: 'no-retention', DataRetentionInHours: 0 }));
    await expect(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'no-retention' }))).rejects.toBeInstanceOf(NoDataRetentionException);
    await expect(hlsUrl({ PlaybackMode: 'LIVE', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0) } } })).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(hlsUrl({ PlaybackMode: 'ON_DEMAND' })).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(hlsUrl({ ...onDemand(), HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0 - 9e6), EndTimestamp: new Date(T0 - 8e6) } } })).rejects.toBeInstanceOf(ResourceNotFoundException);
    const url = await hlsUrl({ ...onDemand(), Expires: 300 });
    clock.advance(31_000);
    await expect(hlsUrl({ PlaybackMode: 'LIVE' })).rejects.toBeInstanceOf(ResourceNotFoundException);
    clock.advance(300_000);
    const expired = await fetch(url);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('x-amzn-errortype')).toBe('NotAuthorizedException');
  });
});

// One GOP per second: the fixture's arithmetic the tests above rely on.
it('test video: one fragment per second of 25 frames', () => {
  expect(video.frameCounts).toEqual(Array(6).fill(FPS));
  expect(h264.length).toBeGreaterThan(0);
});
