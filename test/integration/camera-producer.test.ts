/**
 * The video producer in-process against the real local target: a missing camera, a camera that stalls or
 * crashes mid-GOP, the store's bound while the link is down, and a thermal recording end to end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIngestTarget, type IngestTarget } from '../../src/ingest/target.js';
import { createVideoProducer, type VideoProducer, type VideoProducerEvent } from '../../src/pipeline/video-producer.js';
import type { CaptureCommand } from '../../src/sources/camera/index.js';
import { closedPort } from '../unit/sources/camera/helpers/rtsp-responder.js';

const CREDENTIALS = { accessKeyId: 'AKIDPRODUCER', secretAccessKey: 'producer-secret' };
const X264_SAMPLE = fileURLToPath(new URL('../fixtures/h264/kvs-sample-x264-640x480-46frames.h264', import.meta.url));
const THERMAL = fileURLToPath(new URL('../fixtures/thermal/purethermal-lepton3-160x120-y16le-4frames.raw', import.meta.url));

/** Where each access unit of the x264 sample starts (each begins with an AUD, 00 00 00 01 09). */
function frameOffsets(): number[] {
  const bytes = readFileSync(X264_SAMPLE);
  const aud = Buffer.from([0, 0, 0, 1, 9]);
  const starts: number[] = [];
  for (let i = bytes.indexOf(aud); i >= 0; i = bytes.indexOf(aud, i + 1)) starts.push(i);
  return starts;
}

/** A "camera": a node script that writes the x264 sample's first `frames` frames at 25 fps, then does `then`. */
function scriptedCamera(frames: number, then: 'stall' | 'crash'): CaptureCommand {
  const starts = frameOffsets();
  const end = frames < starts.length ? starts[frames]! : readFileSync(X264_SAMPLE).length;
  const code = `
    const bytes = require('fs').readFileSync(${JSON.stringify(X264_SAMPLE)}).subarray(0, ${end});
    const starts = ${JSON.stringify(starts.filter((s) => s < end))};
    let i = 0;
    const timer = setInterval(() => {
      const from = starts[i], to = i + 1 < starts.length ? starts[i + 1] : bytes.length;
      process.stdout.write(bytes.subarray(from, to));
      i += 1;
      if (i === starts.length) {
        clearInterval(timer);
        ${then === 'crash' ? "process.stdout.write(Buffer.alloc(0), () => process.exit(1));" : 'setInterval(() => {}, 1000);'}
      }
    }, 40);`;
  return { program: process.execPath, args: ['-e', code], description: `scripted camera (${then})`, video: 'copy', encoder: undefined, quitWithQ: false, endsAtCleanExit: false, fps: 25 };
}

function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (predicate() ? resolve() : void setTimeout(check, 20));
    check();
  });
}

describe('video producer against the local target', () => {
  let target: IngestTarget;
  let dataDir: string;
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kedge-producer-target-'));
    target = await startIngestTarget({ port: 0, host: '127.0.0.1', dataDir, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await target.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function producer(streamName: string, overrides: Partial<Parameters<typeof createVideoProducer>[0]> = {}): Promise<{ producer: VideoProducer; events: VideoProducerEvent[] }> {
    const storeDir = mkdtempSync(join(tmpdir(), 'kedge-producer-store-'));
    cleanups.push(() => rmSync(storeDir, { recursive: true, force: true }));
    const p = await createVideoProducer({
      streamName,
      source: 'test',
      aws: { region: 'us-east-1', endpoint: target.url, credentials: CREDENTIALS },
      create: true,
      store: { dir: storeDir, fsync: 'never' },
      delivery: { backoff: { baseMs: 50, capMs: 400 } },
      camera: { backoff: { baseMs: 50, capMs: 200 } },
      ...overrides,
    });
    cleanups.push(() => p.close());
    const events: VideoProducerEvent[] = [];
    p.on((e) => events.push(e));
    return { producer: p, events };
  }

  async function listed(streamName: string): Promise<number[]> {
    const media = new KinesisVideoArchivedMediaClient({ region: 'us-east-1', endpoint: target.url, credentials: CREDENTIALS });
    try {
      const page = await media.send(new ListFragmentsCommand({ StreamName: streamName, MaxResults: 1000 }));
      return (page.Fragments ?? []).map((f) => f.ProducerTimestamp!.getTime()).sort((a, b) => a - b);
    } finally {
      media.destroy();
    }
  }

  it('refuses to start with CAMERA_NOT_FOUND for a missing device, before opening a store or a connection', async () => {
    const storeDir = join(tmpdir(), `kedge-never-made-${process.pid}`);
    await expect(
      createVideoProducer({ streamName: 'x', source: 'v4l2:/dev/video58', aws: { region: 'us-east-1', endpoint: target.url, credentials: CREDENTIALS }, store: { dir: storeDir } }),
    ).rejects.toMatchObject({ code: 'CAMERA_NOT_FOUND' });
    expect(() => readFileSync(storeDir)).toThrow(/ENOENT/);
  });

  it('closes the open fragment when the camera stalls, so its frames are persisted without waiting for a keyframe', async () => {
    const { producer: p, events } = await producer('stalled-cam', { camera: { command: scriptedCamera(20, 'stall') }, fragments: { idleMs: 300 } });
    await until(() => events.some((e) => e.type === 'fragment-persisted'));
    // All 20 frames, the last one too, although no next frame ever marked its end.
    const captured = events.find((e) => e.type === 'fragment-captured');
    expect(captured).toMatchObject({ frames: 20 });
    expect(p.stats().frames).toMatchObject({ framesIn: 20, framesInFragments: 20 });
    expect(await listed('stalled-cam')).toHaveLength(1);
  });

  it('stores what a camera captured before crashing mid-GOP, restarts it, and delivers every fragment once and in order', async () => {
    const { producer: p, events } = await producer('crashing-cam', { camera: { command: scriptedCamera(30, 'crash'), backoff: { baseMs: 50, capMs: 100 } } });
    await until(() => p.stats().camera.restarts >= 2 && events.filter((e) => e.type === 'fragment-persisted').length >= 3);
    await p.stopCapture();
    await p.flush(AbortSignal.timeout(30_000));
    const stored = events.flatMap((e) => (e.type === 'fragment-stored' ? [e.timecodeMs] : []));
    expect(await listed('crashing-cam')).toEqual(stored);
    // Each run's 30 frames become one fragment; the last frame before a crash may be cut short, so it is
    // left out, and the next run's fragment starts at that run's first keyframe.
    const sizes = events.flatMap((e) => (e.type === 'fragment-captured' ? [e.frames] : []));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sizes)).toEqual(new Set([29]));
    expect(events.filter((e) => e.type === 'ack-error')).toEqual([]);
  });

  it('records into the bounded store while the link is down, evicting the oldest video and counting it', async () => {
    const port = await closedPort();
    const ringDir = mkdtempSync(join(tmpdir(), 'kedge-producer-ring-'));
    cleanups.push(() => rmSync(ringDir, { recursive: true, force: true }));
    const { producer: p, events } = await producer('never-reached', {
      aws: { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: CREDENTIALS },
      capture: { gopSeconds: 1, width: 160, height: 120 },
      store: { dir: ringDir, maxBytes: 64 * 1024 * 1024, maxDurationMs: 2_500, fsync: 'never' },
    });
    await until(() => events.filter((e) => e.type === 'fragment-evicted').length >= 2);
    const stats = p.stats();
    expect(stats.fragments.evicted).toBeGreaterThanOrEqual(2);
    expect(stats.store.durationMs).toBeLessThanOrEqual(2_500);
    expect(stats.fragments.persisted).toBe(0);
    expect(stats.reconnects).toBeGreaterThan(0);
    const evicted = events.flatMap((e) => (e.type === 'fragment-evicted' ? [e.timecodeMs] : []));
    const stored = events.flatMap((e) => (e.type === 'fragment-stored' ? [e.timecodeMs] : []));
    expect(evicted).toEqual(stored.slice(0, evicted.length));
  });

  it('streams the thermal recording as 640x480 false-colour video', async () => {
    const { producer: p, events } = await producer('thermal-cam', { source: `thermal:${THERMAL}` });
    expect(p.command.description).toContain('false colour');
    expect(await p.captureDone).toBeUndefined();
    await p.flush(AbortSignal.timeout(30_000));
    expect(events.find((e) => e.type === 'header')).toEqual({ type: 'header', width: 640, height: 480 });
    expect(events.filter((e) => e.type === 'fragment-captured')).toEqual([expect.objectContaining({ frames: 4 })]);
    expect(await listed('thermal-cam')).toHaveLength(1);
  });
});
