/**
 * Issue 4's browser half: the HLS sessions of `kedge ingest` play in hls.js inside a real headless
 * Chromium (Debian's /usr/bin/chromium driven by playwright-core; nothing is downloaded). Real H.264
 * (ffmpeg testsrc, libx264, one GOP per second) is uploaded through PutMedia, a session URL is taken from
 * GetHLSStreamingSessionURL with the unmodified SDK client, and a page served from another origin on
 * 127.0.0.1 plays it with hls.js from node_modules, reporting hls.js events and the <video>'s state.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import { GetHLSStreamingSessionURLCommand, type GetHLSStreamingSessionURLCommandInput } from '@aws-sdk/client-kinesis-video-archived-media';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { encodeTestH264, FPS, muxH264, type MuxedVideo } from '../unit/ingest/video/helpers/h264-media.js';
import { uploadVideo } from '../unit/ingest/video/helpers/read-back.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';
import { startPlayerPages, type PlayerPages, type PlayerReport } from './hls-player-page.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const unlessNoChromium = haveChromium ? '' : ` [skipped: ${CHROMIUM} is not installed; apt-get install chromium]`;
if (!haveChromium) console.warn(`hls-browser: skipping, ${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`);

const SECONDS = 6;
const T0 = Date.UTC(2026, 10, 24, 9, 30);
const SERVER_T0 = T0 + 60_000;
/** How long a page may take to reach the state a test waits for before the test fails with its report. */
const PAGE_WAIT_MS = 20_000;
/** Playback speed for ON_DEMAND, so playing every fragment to the end takes a fraction of real time. */
const ON_DEMAND_RATE = 4;

let video: MuxedVideo;
let later: MuxedVideo;
let clock: ManualClock;
let target: VideoTarget | undefined;
let pages: PlayerPages | undefined;
let browser: BrowserContext | undefined;
let profileDir: string | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  const h264 = await encodeTestH264(SECONDS);
  video = muxH264(h264, T0);
  later = muxH264(h264, T0 + SECONDS * 1000);
  clock = new ManualClock(SERVER_T0);
  target = await startVideoTarget({ memory: true, clock });
  for (const name of ['cam', 'live']) await target.kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
  await uploadVideo(await target.endpoint('cam', 'PUT_MEDIA'), 'cam', video, clock);
  pages = await startPlayerPages();
  profileDir = mkdtempSync(join(tmpdir(), 'kedge-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await target?.close();
  if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
});

async function hlsUrl(stream: string, input: Omit<GetHLSStreamingSessionURLCommandInput, 'StreamName'>): Promise<string> {
  const archived = await target!.archived(stream);
  return (await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: stream, ...input }))).HLSStreamingSessionURL!;
}

const onDemand = (container: 'FRAGMENTED_MP4' | 'MPEG_TS'): Omit<GetHLSStreamingSessionURLCommandInput, 'StreamName'> => ({
  PlaybackMode: 'ON_DEMAND',
  ContainerFormat: container,
  HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(T0 - 1000), EndTimestamp: new Date(T0 + 3_600_000) } },
});

const report = (page: Page): Promise<PlayerReport> => page.evaluate('window.__snapshot()') as Promise<PlayerReport>;

/**
 * Waits until `done` (a JavaScript expression over `r`, the page's report) holds or a fatal hls.js or media
 * error happened, then returns the report. A page that never gets there fails the test with its report.
 */
async function waitFor(page: Page, done: string): Promise<PlayerReport> {
  const settled = `(() => { const r = window.__result; return r !== undefined && (r.errors.some((e) => e.fatal) || r.mediaError !== null || (${done})); })()`;
  try {
    await page.waitForFunction(settled, undefined, { timeout: PAGE_WAIT_MS, polling: 100 });
  } catch (e) {
    throw new Error(`the page did not reach ${done}: ${String(e)}\nreport: ${JSON.stringify(await report(page))}`, { cause: e });
  }
  return report(page);
}

async function playUntil(page: Page, src: string, rate: number, done: string): Promise<PlayerReport> {
  await page.goto(pages!.pageFor(src, rate));
  return waitFor(page, done);
}

const sequence = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const fatalErrors = (r: PlayerReport): PlayerReport['errors'] => r.errors.filter((e) => e.fatal);
const bufferedSeconds = (r: PlayerReport): number => r.bufferedRanges.reduce((sum, [start, end]) => sum + (end - start), 0);

describe('HLS sessions play in hls.js inside headless Chromium', () => {
  it.skipIf(!haveChromium)(`an ON_DEMAND fMP4 session: hls.js parses the manifest, buffers every fragment and the video plays to its end${unlessNoChromium}`, async () => {
    const page = await browser!.newPage();
    const r = await playUntil(page, await hlsUrl('cam', onDemand('FRAGMENTED_MP4')), ON_DEMAND_RATE, 'r.ended');
    expect(fatalErrors(r)).toEqual([]);
    expect(r.mediaError).toBeNull();
    expect(r.hlsSupported).toBe(true);
    expect(r.codecSupported).toBe(true);
    expect(r.manifest?.levels).toEqual([{ codecs: expect.stringMatching(/^avc1\.64[0-9a-f]{4}$/), width: 320, height: 240 }]);
    expect(r.level).toMatchObject({ live: false, fragments: SECONDS, startSN: 1, endSN: SECONDS });
    const all = sequence(1, SECONDS);
    expect(r.loaded).toEqual(all);
    expect(r.parsed).toEqual(all);
    expect(r.buffered).toEqual(all);
    expect(r.ended).toBe(true);
    // One contiguous buffered range as long as the upload (within one GOP), played through to its end.
    expect(r.bufferedRanges).toHaveLength(1);
    expect(Math.abs(bufferedSeconds(r) - SECONDS)).toBeLessThanOrEqual(1);
    expect(r.currentTime).toBeCloseTo(r.bufferedRanges[0]![1], 1);
    // Debian's Chromium decodes H.264: every frame uploaded came out of the browser's decoder.
    expect(r.decodedFrames).toBe(video.frames);
    await page.close();
  });

  it.skipIf(!haveChromium)(`an ON_DEMAND MPEG-TS session: hls.js transmuxes and buffers every segment and the video plays to its end${unlessNoChromium}`, async () => {
    const page = await browser!.newPage();
    const r = await playUntil(page, await hlsUrl('cam', onDemand('MPEG_TS')), ON_DEMAND_RATE, 'r.ended');
    expect(fatalErrors(r)).toEqual([]);
    expect(r.mediaError).toBeNull();
    const all = sequence(1, SECONDS);
    expect(r.loaded).toEqual(all);
    expect(r.parsed).toEqual(all);
    expect(r.buffered).toEqual(all);
    expect(r.ended).toBe(true);
    expect(r.bufferedRanges).toHaveLength(1);
    expect(Math.abs(bufferedSeconds(r) - SECONDS)).toBeLessThanOrEqual(1);
    expect(r.decodedFrames).toBe(video.frames);
    await page.close();
  });

  it.skipIf(!haveChromium)(`a LIVE session: hls.js starts in the window, plays, and picks up fragments uploaded after it started${unlessNoChromium}`, async () => {
    const endpoint = await target!.endpoint('live', 'PUT_MEDIA');
    await uploadVideo(endpoint, 'live', video, clock);
    const window = 3;
    const src = await hlsUrl('live', { PlaybackMode: 'LIVE', MaxMediaPlaylistFragmentResults: window });
    const page = await browser!.newPage();
    // The window holds fragments 4..6; hls.js starts three target durations from the live edge.
    const first = await playUntil(page, src, 1, `r.buffered.includes(${SECONDS}) && r.currentTime > 0`);
    expect(fatalErrors(first)).toEqual([]);
    expect(first.mediaError).toBeNull();
    expect(first.level).toMatchObject({ live: true, fragments: window, startSN: SECONDS - window + 1, endSN: SECONDS });
    expect(first.buffered).toEqual(sequence(SECONDS - window + 1, window));
    expect(first.currentTime).toBeGreaterThan(0);
    expect(first.decodedFrames).toBeGreaterThan(0);

    // Two more fragments: the playlist reload lists them and hls.js buffers them after the others.
    await uploadVideo(endpoint, 'live', { ...later, fragments: later.fragments.slice(0, 2) }, clock);
    const more = await waitFor(page, `r.buffered.includes(${SECONDS + 2})`);
    expect(fatalErrors(more)).toEqual([]);
    expect(more.level).toMatchObject({ live: true, fragments: window, startSN: SECONDS, endSN: SECONDS + 2 });
    expect(more.buffered).toEqual(sequence(SECONDS - window + 1, window + 2));
    // The new fragments join the buffered range without a gap: window + 2 seconds, within one GOP.
    expect(more.bufferedRanges).toHaveLength(1);
    expect(Math.abs(bufferedSeconds(more) - (window + 2))).toBeLessThanOrEqual(1);
    await page.close();
  });
});

// The arithmetic the tests above rely on: one fragment per second of FPS frames.
it.skipIf(!haveChromium)(`test video: one fragment per second of ${FPS} frames${unlessNoChromium}`, () => {
  expect(video.frameCounts).toEqual(Array(SECONDS).fill(FPS));
});
