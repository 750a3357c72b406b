/**
 * Camera capture with the real ffmpeg: the thermal recording through the false-colour pipeline, the test
 * pattern's fixed GOP, an MP4 replay copied to Annex B, and RTSP failures seen the way a camera causes
 * them. Every process is stopped and checked gone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sleep } from '../../src/core/clock.js';
import { AnnexBAccessUnitParser, NalType, type AccessUnit } from '../../src/media/h264/index.js';
import { runTool } from '../../src/media/ffmpeg/index.js';
import { CameraCapture, type CameraSource, type CaptureSettings, type SupervisorEvent } from '../../src/sources/camera/index.js';
import { seededRng } from '../helpers/seeded-rng.js';
import { closedPort, startRtspResponder, type RtspResponder } from '../unit/sources/camera/helpers/rtsp-responder.js';

const THERMAL = fileURLToPath(new URL('../fixtures/thermal/purethermal-lepton3-160x120-y16le-4frames.raw', import.meta.url));
const X264_SAMPLE = fileURLToPath(new URL('../fixtures/h264/kvs-sample-x264-640x480-46frames.h264', import.meta.url));

function parse(chunks: readonly Buffer[]): { aus: AccessUnit[]; parser: AnnexBAccessUnitParser } {
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs: 0, fps: 30 } });
  const aus: AccessUnit[] = [];
  for (const c of chunks) parser.push(c, aus);
  parser.end(aus);
  return { aus, parser };
}

const keyframeIndexes = (aus: readonly AccessUnit[]): number[] => aus.flatMap((au, i) => (au.keyframe ? [i] : []));
const hasParameterSets = (au: AccessUnit): boolean => au.nalUnits.some((n) => n.type === NalType.Sps) && au.nalUnits.some((n) => n.type === NalType.Pps);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const instantSleep: Sleep = (_ms, signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve());

describe('camera capture with real ffmpeg', () => {
  const captures: CameraCapture[] = [];
  let dir: string;
  let responder: RtspResponder | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kedge-camera-'));
  });
  afterEach(async () => {
    for (const c of captures.splice(0)) await c.stop();
    await responder?.close();
    responder = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start(source: CameraSource, settings: CaptureSettings = {}): Promise<{ capture: CameraCapture; chunks: Buffer[]; events: SupervisorEvent[] }> {
    const capture = await CameraCapture.prepare({ source, settings, sleep: instantSleep, rng: seededRng(3), stopTimeouts: { quitMs: 5_000 } });
    captures.push(capture);
    const chunks: Buffer[] = [];
    const events: SupervisorEvent[] = [];
    capture.start({ onData: (c) => chunks.push(c), onEvent: (e) => events.push(e) });
    return { capture, chunks, events };
  }

  it('turns the real Lepton Y16 recording into false-colour H.264: 4 frames, 640x480, a keyframe first', async () => {
    const { capture, chunks } = await start({ kind: 'thermal', device: THERMAL });
    expect(capture.command.args).toEqual(expect.arrayContaining(['-pixel_format', 'gray16le', '-video_size', '160x120']));
    expect(await capture.done).toBeUndefined(); // the recording ended; no restart
    const { aus, parser } = parse(chunks);
    expect(aus).toHaveLength(4);
    expect(aus[0]!.keyframe).toBe(true);
    expect(hasParameterSets(aus[0]!)).toBe(true);
    expect(parser.parameterSets()!.spsInfo).toMatchObject({ width: 640, height: 480, chromaFormatIdc: 1 });
    expect(aus.some((au) => au.bidirectional)).toBe(false);

    // Decoded again, the picture has colour (the chroma planes vary), so pseudocolor ran, not just grey.
    const decoded = await new Promise<Buffer>((resolve, reject) => {
      const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1']);
      const out: Buffer[] = [];
      ff.stdout.on('data', (d: Buffer) => out.push(d));
      ff.on('error', reject);
      ff.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg exited ${code}`))));
      ff.stdin.end(Buffer.concat(chunks));
    });
    const lumaBytes = 640 * 480;
    expect(decoded.length).toBe(lumaBytes * 1.5);
    const u = decoded.subarray(lumaBytes, lumaBytes * 1.25);
    expect(Math.max(...u) - Math.min(...u)).toBeGreaterThan(40);
  });

  it('turns the recording into coloured H.264 with the npm-shipped ffmpeg (4.x: no pseudocolor presets, -stimeout) too', async () => {
    const npmFfmpeg = (await import('@ffmpeg-installer/ffmpeg')).default.path;
    const capture = await CameraCapture.prepare({ source: { kind: 'thermal', device: THERMAL }, ffmpeg: { ffmpegPath: npmFfmpeg }, sleep: instantSleep });
    captures.push(capture);
    const chunks: Buffer[] = [];
    capture.start({ onData: (c) => chunks.push(c) });
    expect(await capture.done).toBeUndefined();
    expect(capture.command.args.join(' ')).toContain('pseudocolor=c1=255-val:c2=val');
    const { aus, parser } = parse(chunks);
    expect(aus).toHaveLength(4);
    expect(parser.parameterSets()!.spsInfo).toMatchObject({ width: 640, height: 480, chromaFormatIdc: 1 });
  });

  it('gets a keyframe with SPS/PPS exactly every fps x gopSeconds frames from the test pattern, and stops it with q', async () => {
    const { capture, chunks, events } = await start({ kind: 'test' }, { fps: 30, gopSeconds: 1, width: 160, height: 120 });
    await new Promise<void>((resolve) => {
      const check = (): void => (keyframeIndexes(parse(chunks).aus).length >= 3 ? resolve() : void setTimeout(check, 50));
      check();
    });
    const pid = (events.find((e) => e.type === 'started') as { pid: number }).pid;
    await capture.stop();
    expect(capture.stats()?.stoppedBy).toBe('q');
    expect(isAlive(pid)).toBe(false);
    const { aus } = parse(chunks);
    const keys = keyframeIndexes(aus);
    expect(keys.slice(0, 3)).toEqual([0, 30, 60]);
    for (const k of keys) expect(hasParameterSets(aus[k]!)).toBe(true);
    expect(aus.some((au) => au.bidirectional)).toBe(false);
    expect(events.filter((e) => e.type === 'restarting')).toEqual([]);
  });

  it('replays an MP4 at its native rate, copied into Annex B with SPS/PPS at every keyframe, and ends at its end', async () => {
    const mp4 = join(dir, 'clip.mp4');
    expect((await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-framerate', '25', '-i', X264_SAMPLE, '-c', 'copy', mp4])).code).toBe(0);
    const { capture, chunks, events } = await start({ kind: 'file', path: mp4 });
    expect(capture.command.video).toBe('copy');
    expect(await capture.done).toBeUndefined();
    const { aus } = parse(chunks);
    expect(aus).toHaveLength(46);
    expect(keyframeIndexes(aus)).toEqual([0, 45]);
    expect(hasParameterSets(aus[45]!)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['started', 'exited', 'ended']);
  });

  it('gives up with RTSP_NOT_FOUND when the camera answers DESCRIBE with 404', async () => {
    responder = await startRtspResponder('404 Not Found');
    const { capture, events } = await start({ kind: 'rtsp', url: responder.url('Streaming/Channels/999') });
    const error = await capture.done;
    expect(error).toMatchObject({ code: 'RTSP_NOT_FOUND' });
    expect(events.filter((e) => e.type === 'started')).toHaveLength(1);
  });

  it('restarts ffmpeg with backoff while an RTSP camera refuses connections, and leaves no process after stop', async () => {
    const port = await closedPort();
    const delays: number[] = [];
    const capture = await CameraCapture.prepare({
      source: { kind: 'rtsp', url: `rtsp://127.0.0.1:${port}/live` },
      sleep: (ms, signal) => (delays.push(ms), signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
      rng: seededRng(9),
      backoff: { baseMs: 200, capMs: 1_600 },
    });
    captures.push(capture);
    const events: SupervisorEvent[] = [];
    capture.start({ onData: () => {}, onEvent: (e) => events.push(e) });
    await new Promise<void>((resolve) => {
      const check = (): void => (events.filter((e) => e.type === 'restarting').length >= 3 ? resolve() : void setTimeout(check, 20));
      check();
    });
    await capture.stop();
    const restarts = events.filter((e): e is Extract<SupervisorEvent, { type: 'restarting' }> => e.type === 'restarting');
    expect(restarts[0]!.failure.code).toBe('RTSP_CONNECTION_REFUSED');
    expect(delays[0]).toBeGreaterThanOrEqual(100);
    expect(delays[0]).toBeLessThanOrEqual(200);
    expect(delays[2]).toBeGreaterThanOrEqual(400);
    for (const e of events) if (e.type === 'started') expect(isAlive(e.pid)).toBe(false);
    expect(await capture.done).toBeUndefined();
  });
});
